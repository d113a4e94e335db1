"""The roles a member holds in an organization (DESIGN §4.2).

Stored as free text on the membership (`auth/models.py`); kept apart from the tables so that
the `runflow` command can offer them without loading SQLAlchemy.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    DEVELOPER = "developer"
    VIEWER = "viewer"

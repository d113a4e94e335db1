"""Identifiers: time-ordered UUIDv7, so new rows land at the end of every index."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 as a standard `uuid.UUID`."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)

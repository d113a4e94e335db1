"""Identifiers: time-ordered UUIDv7, so new rows land at the end of every index."""

from __future__ import annotations

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 as a standard `uuid.UUID` (made in Rust: a batch makes hundreds)."""
    return uuid7()

"""Synchronous client: the one implementation; `_sync` is generated from it."""

"""Idempotency keys: a retried create returns the original response instead of a duplicate."""

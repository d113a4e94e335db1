"""Opaque, signed keyset cursors (`pq`).

A cursor carries the sort key of the boundary row and is bound to the list it came from — the
parent resource, the filter and the sort — so it cannot be edited or replayed elsewhere.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from runflow.errors import BadRequest


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="runflow.cursor.v1")

    def encode(self, *, scope: dict[str, Any], key: list[Any]) -> str:
        return self._serializer.dumps({"scope": scope, "key": key})

    def decode(self, token: str, *, scope: dict[str, Any]) -> list[Any]:
        """The boundary key; 400 when the cursor is forged or belongs to another list."""
        try:
            payload = self._serializer.loads(token)
        except BadSignature:
            raise BadRequest(
                "The pagination cursor `pq` is invalid or was modified.",
                errors=[{"loc": ["query", "pq"], "msg": "invalid cursor", "type": "cursor"}],
            ) from None
        if not isinstance(payload, dict) or payload.get("scope") != scope:
            raise BadRequest(
                "The pagination cursor `pq` belongs to a different list or query.",
                errors=[{"loc": ["query", "pq"], "msg": "cursor mismatch", "type": "cursor"}],
            )
        key = payload.get("key")
        if not isinstance(key, list):
            raise BadRequest("The pagination cursor `pq` is invalid.")
        return key

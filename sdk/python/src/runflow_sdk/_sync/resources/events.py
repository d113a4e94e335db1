"""Synchronous resource: the event log behind webhook endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from runflow_sdk._operations import operation
from runflow_sdk._sync.pagination import Pager
from runflow_sdk._sync.resources._resource import Resource
from runflow_sdk.types import EventRead


class Events(Resource):
    @operation("listEvents")
    def list(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Pager[EventRead]:
        """Events of the last 30 days (`q` on `type`, `created_at`)."""
        return self._pager(
            "/v1/events", EventRead, q=q, sort_by=sort_by, fields=fields, embed=None, limit=limit
        )

    @operation("getEvent")
    def get(self, event_id: str | uuid.UUID) -> EventRead:
        """One event, with the `data` its deliveries carry."""
        return self._client.request(EventRead, "GET", f"/v1/events/{event_id}")

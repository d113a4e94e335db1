"""Asynchronous resource: the event log behind webhook endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._operations import operation
from runflow_sdk.types import EventRead


class AsyncEvents(AsyncResource):
    @operation("listEvents")
    def list(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> AsyncPager[EventRead]:
        """Events of the last 30 days (`q` on `type`, `created_at`)."""
        return self._pager(
            "/v1/events", EventRead, q=q, sort_by=sort_by, fields=fields, embed=None, limit=limit
        )

    @operation("getEvent")
    async def get(self, event_id: str | uuid.UUID) -> EventRead:
        """One event, with the `data` its deliveries carry."""
        return await self._client.request(EventRead, "GET", f"/v1/events/{event_id}")

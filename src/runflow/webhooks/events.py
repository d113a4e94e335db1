"""Writing events and their deliveries in the transaction that causes them (DESIGN §15).

Whatever makes something happen — a completion chunk ending runs and batches, a create, an
upload — asks `subscriptions` which of its orgs' live endpoints want which types (one query
for the whole chunk), renders the resources only for what is wanted, and `record_events`
writes the events and one delivery per (event, endpoint) with the statements it was already
running. Nobody subscribed: one indexed read, nothing rendered, nothing written — so the event
log holds the events some endpoint wanted when they happened.

Rolled back, the transaction takes its events with it; committed, they are on the outbox.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from orjson import Fragment
from sqlalchemy import ColumnElement, Exists, Table, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.callbacks.outbox import Delivery, Outbox
from runflow.callbacks.payload import encode
from runflow.db.json_rows import JsonRows
from runflow.kit.ids import new_id
from runflow.webhooks.catalogue import ALL, EventType
from runflow.webhooks.models import Event, WebhookEndpoint

# One JSON parameter for a chunk's events (`db/json_rows.py`): their `data` is encoded once,
# by orjson, rather than row by row through the JSON column type.
_EVENT_ROWS = JsonRows("events", cast(Table, Event.__table__))


@dataclass(frozen=True)
class Subscriber:
    id: uuid.UUID
    org_id: uuid.UUID
    url: str
    event_types: frozenset[str]

    def wants(self, event_type: str) -> bool:
        return ALL in self.event_types or event_type in self.event_types


@dataclass(frozen=True)
class NewEvent:
    org_id: uuid.UUID
    type: EventType
    # The resource as its GET shows it; or already JSON, as its schema's serializer wrote it
    # (a completion chunk renders hundreds: that skips building each as Python objects).
    data: dict[str, Any] | bytes
    # Where the history filters find it (`q=batch_id:…`): the batch or run it tells about.
    batch_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    # Only this endpoint (a test event), whatever the others subscribe to.
    endpoint_id: uuid.UUID | None = None


class Subscriptions:
    """The live (enabled, not deleted) endpoints of some orgs, read in this transaction."""

    def __init__(self, endpoints: Sequence[Subscriber]) -> None:
        self._by_org: defaultdict[uuid.UUID, list[Subscriber]] = defaultdict(list)
        for endpoint in endpoints:
            self._by_org[endpoint.org_id].append(endpoint)

    def __bool__(self) -> bool:
        return bool(self._by_org)

    def wants(self, org_id: uuid.UUID, event_type: str) -> bool:
        return any(endpoint.wants(event_type) for endpoint in self._by_org.get(org_id, ()))

    def wants_any(self, org_id: uuid.UUID, event_types: Collection[str]) -> bool:
        return any(self.wants(org_id, event_type) for event_type in event_types)

    def endpoints_for(self, event: NewEvent) -> list[Subscriber]:
        endpoints = self._by_org.get(event.org_id, [])
        if event.endpoint_id is not None:
            return [endpoint for endpoint in endpoints if endpoint.id == event.endpoint_id]
        return [endpoint for endpoint in endpoints if endpoint.wants(event.type)]


def has_live_endpoints(org_id: ColumnElement[uuid.UUID]) -> Exists:
    """Whether the org has an endpoint that may want events: an expression to put in a
    statement that runs anyway, so an org without endpoints costs no query of its own."""
    return exists().where(
        WebhookEndpoint.org_id == org_id,
        WebhookEndpoint.enabled.is_(True),
        WebhookEndpoint.deleted_at.is_(None),
    )


# Built once: every event-writing transaction runs it (each batch created, each completion).
_LIVE_ENDPOINTS = select(
    WebhookEndpoint.id, WebhookEndpoint.org_id, WebhookEndpoint.url, WebhookEndpoint.event_types
).where(
    WebhookEndpoint.org_id.in_(bindparam("org_ids", expanding=True)),
    WebhookEndpoint.enabled.is_(True),
    WebhookEndpoint.deleted_at.is_(None),
)


async def subscriptions(session: AsyncSession, org_ids: Collection[uuid.UUID]) -> Subscriptions:
    if not org_ids:
        return Subscriptions([])
    rows = await session.execute(_LIVE_ENDPOINTS, {"org_ids": list(org_ids)})
    return Subscriptions(
        [Subscriber(id, org_id, url, frozenset(types)) for id, org_id, url, types in rows]
    )


def event_body(event_type: str, created_at: datetime, data: dict[str, Any] | Fragment) -> bytes:
    """Standard Webhooks' body: the same bytes on every endpoint and every attempt. `data`
    may come encoded already (a `Fragment`), to be put in as it is."""
    return encode({"type": event_type, "timestamp": created_at.isoformat(), "data": data})


async def record_events(
    session: AsyncSession,
    outbox: Outbox,
    subscribed: Subscriptions,
    events: Sequence[NewEvent],
    now: datetime,
) -> list[uuid.UUID]:
    """Write `events` and a delivery to each endpoint that wants one; returns the events' ids.
    An event no endpoint wants is not written."""
    rows: list[dict[str, Any]] = []
    deliveries: list[Delivery] = []
    for event in events:
        endpoints = subscribed.endpoints_for(event)
        if not endpoints:
            continue
        event_id = new_id()
        # Encoded once, for the event and its body.
        data = Fragment(event.data if isinstance(event.data, bytes) else encode(event.data))
        rows.append(
            {
                "id": event_id,
                "org_id": event.org_id,
                "type": event.type.value,
                "created_at": now,
                "data": data,
            }
        )
        body = event_body(event.type, now, data)
        deliveries.extend(
            Delivery(
                event.org_id,
                endpoint.url,
                body,
                batch_id=event.batch_id,
                run_id=event.run_id,
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type=event.type,
            )
            for endpoint in endpoints
        )
    if rows:
        dialect = session.get_bind().dialect.name
        await session.execute(_EVENT_ROWS.insert(dialect), _EVENT_ROWS.parameters(dialect, rows))
        await outbox.add_many(session, deliveries, now)
    return [row["id"] for row in rows]

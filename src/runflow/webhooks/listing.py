"""The webhook lists through the query kit: endpoints, events, and every delivery."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.callbacks.models import CallbackDelivery
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listing, ListParams, read_list
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.models import Event, WebhookEndpoint
from runflow.webhooks.schemas import (
    EventList,
    EventRead,
    WebhookDeliveryList,
    WebhookDeliveryRead,
    WebhookEndpointList,
    WebhookEndpointRead,
    endpoint_links,
)

_STATUSES = ("pending", "succeeded", "failed")

ENDPOINTS = Listing(
    name="webhook_endpoints",
    filters={
        "id": Field(WebhookEndpoint.id, Kind.UUID, sortable=True, unique=True),
        "url": Field(WebhookEndpoint.url, Kind.STRING, sortable=True),
        "enabled": Field(WebhookEndpoint.enabled, Kind.BOOLEAN),
        "disabled_reason": Field(WebhookEndpoint.disabled_reason, Kind.STRING, nullable=True),
        "created_at": Field(WebhookEndpoint.created_at, Kind.TIMESTAMP, sortable=True),
        "updated_at": Field(WebhookEndpoint.updated_at, Kind.TIMESTAMP, sortable=True),
    },
    default_sort="created_at:desc",
    columns={
        **{
            name: getattr(WebhookEndpoint, name)
            for name in WebhookEndpointRead.model_fields
            if name not in ("metadata", "links")
        },
        "metadata": WebhookEndpoint.metadata_,
        "links": (WebhookEndpoint.id,),
    },
)

EVENTS = Listing(
    name="events",
    filters={
        "id": Field(Event.id, Kind.UUID, sortable=True, unique=True),
        "type": Field(Event.type, Kind.ENUM, choices=tuple(EventType)),
        "created_at": Field(Event.created_at, Kind.TIMESTAMP, sortable=True),
    },
    default_sort="created_at:desc",
    columns={name: getattr(Event, name) for name in EventRead.model_fields},
)

_DELIVERY_LINKS = (CallbackDelivery.id,)
DELIVERIES = Listing(
    name="webhook_deliveries",
    filters={
        "id": Field(CallbackDelivery.id, Kind.UUID, sortable=True, unique=True),
        "event_type": Field(CallbackDelivery.event_type, Kind.STRING, nullable=True),
        "status_code": Field(CallbackDelivery.status_code, Kind.ENUM, choices=_STATUSES),
        "endpoint_id": Field(CallbackDelivery.endpoint_id, Kind.UUID, nullable=True),
        "batch_id": Field(CallbackDelivery.batch_id, Kind.UUID, nullable=True),
        "run_id": Field(CallbackDelivery.run_id, Kind.UUID, nullable=True),
        "event_id": Field(CallbackDelivery.event_id, Kind.UUID, nullable=True),
        "is_automatic": Field(CallbackDelivery.is_automatic, Kind.BOOLEAN),
        "attempt_count": Field(CallbackDelivery.attempt_count, Kind.INTEGER, sortable=True),
        "created_at": Field(CallbackDelivery.created_at, Kind.TIMESTAMP, sortable=True),
        "completed_at": Field(
            CallbackDelivery.completed_at, Kind.TIMESTAMP, nullable=True, sortable=True
        ),
    },
    default_sort="created_at:desc",
    columns={
        **{
            name: getattr(CallbackDelivery, name)
            for name in WebhookDeliveryRead.model_fields
            if name not in ("url", "links")
        },
        "url": CallbackDelivery.callback_url,
        "links": _DELIVERY_LINKS,
    },
)


def delivery_links(delivery_id: object) -> dict[str, str]:
    base = f"/v1/webhooks/deliveries/{delivery_id}"
    return {"self": base, "redeliver": f"{base}/redeliver"}


async def list_endpoints(
    session: AsyncSession, principal: Principal, params: ListParams, codec: CursorCodec
) -> tuple[WebhookEndpointList, frozenset[str]]:
    org_id = principal.org_id
    where = (WebhookEndpoint.org_id == org_id) & WebhookEndpoint.deleted_at.is_(None)
    listed = await read_list(session, ENDPOINTS, params, codec, parent=org_id, where=where)
    if listed.request.wants("links"):
        for values, row in zip(listed.values, listed.rows, strict=True):
            values["links"] = endpoint_links(row["id"])
    items = [WebhookEndpointRead.model_construct(**values) for values in listed.values]
    return WebhookEndpointList(items=items, **listed.cursors), listed.request.fields


async def list_events(
    session: AsyncSession, principal: Principal, params: ListParams, codec: CursorCodec
) -> tuple[EventList, frozenset[str]]:
    org_id = principal.org_id
    listed = await read_list(
        session, EVENTS, params, codec, parent=org_id, where=Event.org_id == org_id
    )
    items = [EventRead.model_construct(**values) for values in listed.values]
    return EventList(items=items, **listed.cursors), listed.request.fields


async def list_deliveries(
    session: AsyncSession, principal: Principal, params: ListParams, codec: CursorCodec
) -> tuple[WebhookDeliveryList, frozenset[str]]:
    org_id = principal.org_id
    where = CallbackDelivery.org_id == org_id
    listed = await read_list(session, DELIVERIES, params, codec, parent=org_id, where=where)
    if listed.request.wants("links"):
        for values, row in zip(listed.values, listed.rows, strict=True):
            values["links"] = delivery_links(row["id"])
    items = [WebhookDeliveryRead.model_construct(**values) for values in listed.values]
    return WebhookDeliveryList(items=items, **listed.cursors), listed.request.fields

"""Every delivery — batch and run callbacks and endpoint deliveries — read, redelivered, or
recovered in bulk after an endpoint's outage (DESIGN §15).

A redelivery is a new manual delivery of the same bytes to the same place, with its own
attempts; an endpoint's keeps the event's id as its `webhook-id`, so a receiver that already
has it can tell.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from runflow.auth.dependencies import Principal
from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.outbox import Delivery, Outbox
from runflow.callbacks.queue import FAILED
from runflow.errors import Conflict, NotFound, ValidationFailed
from runflow.kit.clock import utcnow
from runflow.webhooks.endpoints import live_endpoint
from runflow.webhooks.event_log import RETENTION
from runflow.webhooks.health import halted_endpoints
from runflow.webhooks.listing import delivery_links
from runflow.webhooks.schemas import DeliveryAttemptRead, WebhookDeliveryDetail


async def _delivery(
    session: AsyncSession, org_id: uuid.UUID, delivery_id: uuid.UUID
) -> CallbackDelivery:
    statement = (
        select(CallbackDelivery)
        .where(CallbackDelivery.id == delivery_id, CallbackDelivery.org_id == org_id)
        .options(selectinload(CallbackDelivery.attempts))
    )
    delivery = await session.scalar(statement)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} does not exist.")
    return delivery


def delivery_detail(delivery: CallbackDelivery) -> WebhookDeliveryDetail:
    return WebhookDeliveryDetail(
        id=delivery.id,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        endpoint_id=delivery.endpoint_id,
        batch_id=delivery.batch_id,
        run_id=delivery.run_id,
        url=delivery.callback_url,
        is_automatic=delivery.is_automatic,
        status_code=delivery.status_code,
        failure_reason_code=delivery.failure_reason_code,
        failure_detail=delivery.failure_detail,
        attempt_count=delivery.attempt_count,
        max_attempts=delivery.max_attempts,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        completed_at=delivery.completed_at,
        links=delivery_links(delivery.id),
        payload_bytes=delivery.payload_bytes.decode(),
        attempts=[DeliveryAttemptRead.model_validate(attempt) for attempt in delivery.attempts],
    )


async def read_delivery(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDeliveryDetail:
    return delivery_detail(await _delivery(session, principal.org_id, delivery_id))


async def read_delivery_of_event(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookDeliveryDetail:
    statement = select(CallbackDelivery.id).where(
        CallbackDelivery.event_id == event_id, CallbackDelivery.endpoint_id == endpoint_id
    )
    delivery_id = (await session.scalars(statement)).one()
    return await read_delivery(session, principal, delivery_id)


def _again(original: CallbackDelivery, url: str) -> Delivery:
    return Delivery(
        original.org_id,
        url,
        original.payload_bytes,
        batch_id=original.batch_id,
        run_id=original.run_id,
        is_automatic=False,
        event_type=original.event_type,
        endpoint_id=original.endpoint_id,
        event_id=original.event_id,
    )


async def redeliver(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID, outbox: Outbox
) -> WebhookDeliveryDetail:
    """The same bytes again as a new manual delivery: to the endpoint's current URL for an
    endpoint's delivery (which must be enabled), to the same URL for a callback."""
    original = await _delivery(session, principal.org_id, delivery_id)
    url = original.callback_url
    if original.endpoint_id is not None:
        endpoint = await live_endpoint(session, principal.org_id, original.endpoint_id)
        if not endpoint.enabled:
            raise Conflict(
                f"Webhook endpoint {endpoint.id} is disabled; enable it to redeliver to it.",
                code="ENDPOINT_DISABLED",
            )
        url = endpoint.url
    (new_id,) = await outbox.add_many(session, [_again(original, url)], utcnow())
    return await read_delivery(session, principal, new_id)


async def recover(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    since: datetime,
    outbox: Outbox,
) -> int:
    """Redeliver each event this endpoint failed to get since `since` — once per event, and
    not when a later delivery of it succeeded or is still under way."""
    now = utcnow()
    if since > now:
        raise _bad_since("must not be in the future")
    if since < now - RETENTION:
        raise _bad_since(f"must be within the last {RETENTION.days} days, how long events are kept")
    endpoint = await live_endpoint(session, principal.org_id, endpoint_id)
    if endpoint.id in await halted_endpoints(session, [endpoint.id]):
        raise Conflict(
            f"Webhook endpoint {endpoint.id} is disabled; enable it, then recover.",
            code="ENDPOINT_DISABLED",
        )
    other = aliased(CallbackDelivery)
    settled = exists().where(
        other.endpoint_id == endpoint.id,
        other.event_id == CallbackDelivery.event_id,
        other.status_code != FAILED,
    )
    statement = (
        select(CallbackDelivery)
        .where(
            and_(
                CallbackDelivery.endpoint_id == endpoint.id,
                CallbackDelivery.status_code == FAILED,
                CallbackDelivery.created_at >= since,
                ~settled,
            )
        )
        .order_by(CallbackDelivery.created_at)
    )
    failed: dict[uuid.UUID | None, CallbackDelivery] = {}
    for delivery in await session.scalars(statement):
        failed.setdefault(delivery.event_id, delivery)
    await outbox.add_many(session, [_again(row, endpoint.url) for row in failed.values()], now)
    return len(failed)


def _bad_since(message: str) -> ValidationFailed:
    return ValidationFailed(
        f"since {message}.",
        errors=[{"loc": ["body", "since"], "msg": message, "type": "value_error"}],
    )

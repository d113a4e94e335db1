"""Webhook endpoint use cases: create (its secret shown once), read, change, delete, its secret
and rotation, and a test event (DESIGN §15).

An endpoint's URL passes the SSRF guard when it is set, as a callback URL does at create, and
again at every attempt. Deleting keeps the row (marked deleted) so its deliveries' history keeps
naming it; a deleted endpoint is 404 and gets nothing more.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.callbacks.outbox import Outbox
from runflow.errors import Conflict, NotFound, ValidationFailed
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard, EgressRefused
from runflow.webhooks import service as secrets
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.events import NewEvent, Subscriber, Subscriptions, record_events
from runflow.webhooks.health import MANUAL
from runflow.webhooks.models import WebhookEndpoint
from runflow.webhooks.schemas import (
    SigningSecretRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    endpoint_read,
)

MAX_ENDPOINTS_PER_ORG = 20


async def _vet_url(guard: EgressGuard, url: str) -> None:
    outcome = (await guard.check_all([url]))[url]
    if isinstance(outcome, EgressRefused):
        raise ValidationFailed(
            f"url {outcome}.",
            errors=[{"loc": ["body", "url"], "msg": str(outcome), "type": outcome.reason.lower()}],
        )


async def live_endpoint(
    session: AsyncSession, org_id: uuid.UUID, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id,
        WebhookEndpoint.org_id == org_id,
        WebhookEndpoint.deleted_at.is_(None),
    )
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    endpoint = await session.scalar(statement)
    if endpoint is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} does not exist.")
    return endpoint


async def create_endpoint(
    session: AsyncSession, principal: Principal, body: WebhookEndpointCreate, guard: EgressGuard
) -> WebhookEndpointCreated:
    await _vet_url(guard, body.url)
    # Serialises creates per org (PostgreSQL), so the limit holds under concurrency.
    await secrets.lock_orgs(session, [principal.org_id])
    count = await session.scalar(
        select(func.count()).where(
            WebhookEndpoint.org_id == principal.org_id, WebhookEndpoint.deleted_at.is_(None)
        )
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_ORG:
        raise Conflict(
            f"This organization already has {MAX_ENDPOINTS_PER_ORG} webhook endpoints, the "
            "most it may have; delete one first.",
            code="ENDPOINT_LIMIT_REACHED",
        )
    now = utcnow()
    endpoint = WebhookEndpoint(
        org_id=principal.org_id,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        enabled=body.enabled,
        disabled_reason=None if body.enabled else MANUAL,
        metadata_=body.metadata,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    secret = secrets.add_endpoint_secret(session, principal.org_id, endpoint.id, now)
    await session.flush()
    read = endpoint_read(endpoint)
    return WebhookEndpointCreated(**read.model_dump(), secret=secret.secret)


async def read_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpointRead:
    return endpoint_read(await live_endpoint(session, principal.org_id, endpoint_id))


_NOT_NULL = ("url", "event_types", "enabled")


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    guard: EgressGuard,
) -> WebhookEndpointRead:
    given = body.model_fields_set
    nulls = [name for name in _NOT_NULL if name in given and getattr(body, name) is None]
    if nulls:
        raise ValidationFailed(
            f"{nulls[0]} cannot be null; leave it out to keep it.",
            errors=[
                {"loc": ["body", name], "msg": "may not be null", "type": "none_forbidden"}
                for name in nulls
            ],
        )
    endpoint = await live_endpoint(session, principal.org_id, endpoint_id, for_update=True)
    if body.url is not None and body.url != endpoint.url:
        await _vet_url(guard, body.url)
        endpoint.url = body.url
    if "description" in given:
        endpoint.description = body.description
    if body.event_types is not None:
        endpoint.event_types = body.event_types
    if "metadata" in given:
        endpoint.metadata_ = body.metadata
    if body.enabled is not None and body.enabled != endpoint.enabled:
        endpoint.enabled = body.enabled
        # Enabled again, it starts with a clean record; new events flow from now on.
        endpoint.disabled_reason = None if body.enabled else MANUAL
        endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint_read(endpoint)


async def delete_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> None:
    endpoint = await live_endpoint(session, principal.org_id, endpoint_id, for_update=True)
    endpoint.deleted_at = endpoint.updated_at = utcnow()
    endpoint.enabled = False
    await session.flush()


async def endpoint_secret(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> SigningSecretRead:
    endpoint = await live_endpoint(session, principal.org_id, endpoint_id)
    live = await secrets.endpoint_secrets(session, [endpoint.id], utcnow())
    return secrets.secret_read(live[endpoint.id])


async def rotate_endpoint_secret(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> SigningSecretRead:
    endpoint = await live_endpoint(session, principal.org_id, endpoint_id, for_update=True)
    return secrets.secret_read(
        await secrets.rotate_endpoint(session, principal.org_id, endpoint.id, utcnow())
    )


async def send_test_event(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    outbox: Outbox,
    now: datetime | None = None,
) -> uuid.UUID:
    """A `webhook.test` event for this endpoint alone; returns its delivery's id."""
    endpoint = await live_endpoint(session, principal.org_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict(
            f"Webhook endpoint {endpoint_id} is disabled; enable it to send it events.",
            code="ENDPOINT_DISABLED",
        )
    target = Subscriber(endpoint.id, endpoint.org_id, endpoint.url, frozenset(endpoint.event_types))
    event = NewEvent(
        endpoint.org_id,
        EventType.WEBHOOK_TEST,
        {"endpoint_id": str(endpoint.id), "message": "A test event from Runflow."},
        endpoint_id=endpoint.id,
    )
    (event_id,) = await record_events(
        session, outbox, Subscriptions([target]), [event], now or utcnow()
    )
    return event_id

"""An endpoint's health: which endpoints get nothing more, and disabling one that keeps failing.

Each recorded attempt to an endpoint tells whether it got through. A success clears the
endpoint's `failing_since`; a failure sets it if unset. An endpoint whose every attempt has
failed since longer than `disable_after` is disabled with `disabled_reason: "FAILING"`, and the
org's other endpoints hear of it (`webhook.endpoint_disabled`) — in the transaction that
records the attempt, like every event.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.callbacks.outbox import Outbox
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.events import NewEvent, record_events, subscriptions
from runflow.webhooks.models import WebhookEndpoint
from runflow.webhooks.schemas import endpoint_read

log = structlog.get_logger(__name__)

FAILING = "FAILING"
MANUAL = "MANUAL"


async def halted_endpoints(
    session: AsyncSession, endpoint_ids: Collection[uuid.UUID | None]
) -> set[uuid.UUID]:
    """Of `endpoint_ids`, those disabled or deleted."""
    ids = [endpoint_id for endpoint_id in endpoint_ids if endpoint_id is not None]
    if not ids:
        return set()
    statement = select(WebhookEndpoint.id).where(
        WebhookEndpoint.id.in_(ids),
        or_(WebhookEndpoint.enabled.is_(False), WebhookEndpoint.deleted_at.is_not(None)),
    )
    return set(await session.scalars(statement))


class EndpointHealth:
    def __init__(self, outbox: Outbox, disable_after: timedelta) -> None:
        self.outbox = outbox
        self.disable_after = disable_after

    async def observe(
        self, session: AsyncSession, outcomes: Sequence[tuple[uuid.UUID, bool]], now: datetime
    ) -> None:
        """`outcomes`: (endpoint, got through) per attempt just recorded."""
        healthy = {endpoint_id for endpoint_id, delivered in outcomes if delivered}
        failing = {endpoint_id for endpoint_id, _ in outcomes} - healthy
        if healthy:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id.in_(healthy), WebhookEndpoint.failing_since.is_not(None))
                .values(failing_since=None)
                .execution_options(synchronize_session=False)
            )
        if not failing:
            return
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(failing))
            .values(failing_since=func.coalesce(WebhookEndpoint.failing_since, now))
            .execution_options(synchronize_session=False)
        )
        await self._disable_failing(session, failing, now)

    async def _disable_failing(
        self, session: AsyncSession, failing: set[uuid.UUID], now: datetime
    ) -> None:
        statement = (
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.id.in_(failing),
                WebhookEndpoint.enabled.is_(True),
                WebhookEndpoint.failing_since <= now - self.disable_after,
            )
            .execution_options(populate_existing=True)
        )
        disabled = list(await session.scalars(statement))
        if not disabled:
            return
        for endpoint in disabled:
            endpoint.enabled = False
            endpoint.disabled_reason = FAILING
            endpoint.updated_at = now
            log.warning("webhook_endpoint_disabled", endpoint_id=str(endpoint.id))
        await session.flush()
        # Read after the flush: the disabled endpoints are no longer among the subscribers.
        subscribed = await subscriptions(session, {endpoint.org_id for endpoint in disabled})
        events = [
            NewEvent(
                endpoint.org_id,
                EventType.WEBHOOK_ENDPOINT_DISABLED,
                endpoint_read(endpoint).model_dump(mode="json"),
            )
            for endpoint in disabled
        ]
        await record_events(session, self.outbox, subscribed, events, now)

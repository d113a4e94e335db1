"""The event log: one event read back, and events pruned after their retention (DESIGN §15).

Events are kept 30 days; their endpoint deliveries (and those deliveries' attempts) go with
them. Batch and run callbacks are the batch's and the run's history and stay.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.callbacks.models import CallbackAttempt, CallbackDelivery
from runflow.errors import NotFound
from runflow.webhooks.models import Event
from runflow.webhooks.schemas import EventRead

RETENTION = timedelta(days=30)


async def read_event(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> EventRead:
    event = await session.scalar(
        select(Event).where(Event.id == event_id, Event.org_id == principal.org_id)
    )
    if event is None:
        raise NotFound(f"Event {event_id} does not exist.")
    return EventRead.model_validate(event)


async def prune(session: AsyncSession, now: datetime) -> int:
    """Delete what is past retention; returns how many events went."""
    cutoff = now - RETENTION
    expired = select(CallbackDelivery.id).where(
        CallbackDelivery.endpoint_id.is_not(None), CallbackDelivery.created_at < cutoff
    )
    await session.execute(delete(CallbackAttempt).where(CallbackAttempt.delivery_id.in_(expired)))
    await session.execute(
        delete(CallbackDelivery).where(
            CallbackDelivery.endpoint_id.is_not(None), CallbackDelivery.created_at < cutoff
        )
    )
    result = await session.execute(delete(Event).where(Event.created_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]

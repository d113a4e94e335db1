"""Delivery history queries: a batch's or a run's own callbacks (not endpoint deliveries)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from runflow.callbacks.models import CallbackDelivery


async def _deliveries(
    session: AsyncSession, criterion: ColumnElement[bool]
) -> Sequence[CallbackDelivery]:
    statement = (
        select(CallbackDelivery)
        .where(criterion)
        .options(selectinload(CallbackDelivery.attempts))
        .order_by(CallbackDelivery.created_at, CallbackDelivery.id)
    )
    return (await session.scalars(statement)).all()


async def deliveries_for_batch(
    session: AsyncSession, batch_id: uuid.UUID
) -> Sequence[CallbackDelivery]:
    own = CallbackDelivery.batch_id == batch_id
    return await _deliveries(session, own & CallbackDelivery.endpoint_id.is_(None))


async def deliveries_for_run(
    session: AsyncSession, run_id: uuid.UUID
) -> Sequence[CallbackDelivery]:
    own = CallbackDelivery.run_id == run_id
    return await _deliveries(session, own & CallbackDelivery.endpoint_id.is_(None))


async def automatic_delivery(session: AsyncSession, batch_id: uuid.UUID) -> CallbackDelivery | None:
    return await session.scalar(
        select(CallbackDelivery).where(
            CallbackDelivery.batch_id == batch_id,
            CallbackDelivery.is_automatic.is_(True),
            CallbackDelivery.endpoint_id.is_(None),
        )
    )


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> CallbackDelivery:
    statement = (
        select(CallbackDelivery)
        .where(CallbackDelivery.id == delivery_id)
        .options(selectinload(CallbackDelivery.attempts))
    )
    return (await session.scalars(statement)).one()

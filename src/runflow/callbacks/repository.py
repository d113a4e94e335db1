"""Delivery history queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from runflow.callbacks.models import CallbackDelivery


async def deliveries_for_batch(
    session: AsyncSession, batch_id: uuid.UUID
) -> Sequence[CallbackDelivery]:
    statement = (
        select(CallbackDelivery)
        .where(CallbackDelivery.batch_id == batch_id)
        .options(selectinload(CallbackDelivery.attempts))
        .order_by(CallbackDelivery.created_at, CallbackDelivery.id)
    )
    return (await session.scalars(statement)).all()

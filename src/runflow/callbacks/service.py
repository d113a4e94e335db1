"""Callback use cases: delivery history, manual redelivery."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.batches import repository as batches
from runflow.batches.models import BatchStatus
from runflow.callbacks import repository
from runflow.callbacks.history import delivery_read, run_delivery_read
from runflow.callbacks.outbox import Outbox
from runflow.callbacks.schemas import CallbackDeliveryRead, RunCallbackDeliveryRead
from runflow.errors import Conflict, NotFound
from runflow.kit.clock import utcnow
from runflow.runs import repository as runs


async def batch_history(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID
) -> list[CallbackDeliveryRead]:
    if await batches.get_batch(session, principal.org_id, batch_id) is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    return [delivery_read(row) for row in await repository.deliveries_for_batch(session, batch_id)]


async def run_history(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID
) -> list[RunCallbackDeliveryRead]:
    if await runs.get_run(session, principal.org_id, run_id) is None:
        raise NotFound(f"Run {run_id} does not exist.")
    return [run_delivery_read(row) for row in await repository.deliveries_for_run(session, run_id)]


async def redeliver_batch_callback(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, outbox: Outbox
) -> CallbackDeliveryRead:
    """A new manual delivery of the frozen payload, with its own attempts.

    The URL is the batch's; the SSRF guard checks it again at every attempt, as always.
    """
    batch = await batches.get_batch(session, principal.org_id, batch_id)
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    if not BatchStatus(batch.status_code).is_terminal:
        raise Conflict(
            f"Batch {batch_id} is still {batch.status_code}; its callback is sent when it ends."
        )
    original = await repository.automatic_delivery(session, batch_id)
    if original is None or batch.callback_url is None:
        raise Conflict(f"Batch {batch_id} has no callback_url, so there is nothing to redeliver.")
    delivery_id = await outbox.add(
        session,
        org_id=batch.org_id,
        batch_id=batch.id,
        callback_url=batch.callback_url,
        payload_bytes=original.payload_bytes,
        now=utcnow(),
        is_automatic=False,
        event_type=original.event_type,
    )
    return delivery_read(await repository.delivery(session, delivery_id))

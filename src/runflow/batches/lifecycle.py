"""How a batch ends: its terminal status, cost and output manifest (DESIGN §4.1).

`finish_if_complete` runs inside the transaction that makes the last item terminal — the engine's
completion chunk or a cancel — so the batch turns terminal exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.batches import repository
from runflow.batches.models import Batch, BatchStatus
from runflow.callbacks.outbox import Delivery, Outbox
from runflow.callbacks.payload import batch_payload
from runflow.db.engine import after_commit
from runflow.kit.clock import utcnow
from runflow.metrics import instruments as metrics
from runflow.webhooks.publishing import publish_batches

log = structlog.get_logger(__name__)


def terminal_status(batch: Batch) -> BatchStatus:
    if batch.cancel_requested_at is not None:
        return BatchStatus.CANCELLED
    if batch.items_succeeded == batch.items_total:
        return BatchStatus.SUCCEEDED
    if batch.items_succeeded > 0:
        return BatchStatus.PARTIALLY_SUCCEEDED
    return BatchStatus.FAILED


def error_of(code: str | None, message: str | None, stage: str | None) -> dict[str, Any] | None:
    if code is None and message is None:
        return None
    return {"code": code, "message": message, "stage": stage}


async def finish_complete(
    session: AsyncSession, batches: Sequence[Batch], outbox: Outbox, *, publish: bool = True
) -> list[Batch]:
    """Make terminal those of `batches` whose every item is, and queue their callbacks and
    (unless the caller knows no endpoint listens: `publish=False`) their events; returns
    them. One read of their items and one write of each kind, however many end."""
    ending = [
        batch
        for batch in batches
        if not BatchStatus(batch.status_code).is_terminal
        and batch.items_terminal >= batch.items_total
    ]
    if not ending:
        return []
    outcomes = await repository.item_outcomes(session, [batch.id for batch in ending])
    now = utcnow()
    deliveries: list[Delivery] = []
    for batch in ending:
        _end(batch, outcomes[batch.id], now)
        if batch.callback_url is not None:
            payload = batch_payload(
                batch_id=batch.id,
                status=batch.status_code,
                output=batch.output,
                duration_ms=batch.duration_ms,
                created_at=batch.created_at,
                completed_at=now,
                metadata=batch.metadata_,
            )
            deliveries.append(
                Delivery(
                    batch.org_id,
                    batch.callback_url,
                    payload,
                    batch.id,
                    event_type=f"batch.{batch.status_code}",
                )
            )
        log.info("batch_finished", batch_id=str(batch.id), status=batch.status_code)
    durations = [(str(b.status_code), (now - b.created_at).total_seconds()) for b in ending]
    after_commit(session, lambda: metrics.batches_ended(durations))
    await outbox.add_many(session, deliveries, now)
    if publish:
        await session.flush()  # the events render the batches as they now are
        ended = [(batch.id, batch.org_id) for batch in ending]
        await publish_batches(session, outbox, ended, now)
    return ending


async def finish_if_complete(session: AsyncSession, batch: Batch, outbox: Outbox) -> bool:
    """`finish_complete` for one batch: whether it ended now."""
    return bool(await finish_complete(session, [batch], outbox))


def _end(batch: Batch, outcomes: Sequence[repository.Outcome], now: datetime) -> None:
    batch.status_code = terminal_status(batch)
    batch.completed_at = now
    batch.duration_ms = int((now - (batch.started_at or batch.created_at)).total_seconds() * 1000)
    batch.cost = sum((row.cost or Decimal(0) for row in outcomes), Decimal(0))
    batch.output = {
        "items": [
            {
                "sequence_index": row.sequence_index,
                "client_ref": row.client_ref,
                "run_id": str(row.run_id),
                "status_code": row.status_code,
                "output": row.output,
                "error": error_of(row.failure_code, row.failure_message, row.failure_stage_code),
            }
            for row in outcomes
        ]
    }


async def record_cancelled_items(
    session: AsyncSession,
    batch_id: uuid.UUID,
    cancelled: int,
    now: datetime,
    outbox: Outbox,
    *,
    whole_batch: bool,
) -> Batch:
    """Count items just cancelled (runs already updated) and end the batch if it is done.

    Callers update the runs first and the batch second — the order claims and completions
    use — so concurrent writers cannot deadlock on PostgreSQL.
    """
    values: dict[str, Any] = {"items_cancelled": Batch.items_cancelled + cancelled}
    if whole_batch:
        values["cancel_requested_at"] = func.coalesce(Batch.cancel_requested_at, now)
    await session.execute(
        update(Batch)
        .where(Batch.id == batch_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    statement = select(Batch).where(Batch.id == batch_id).execution_options(populate_existing=True)
    batch = (await session.scalars(statement.with_for_update())).one()
    await finish_if_complete(session, batch, outbox)
    return batch

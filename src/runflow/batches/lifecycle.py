"""How a batch ends: its terminal status, cost and output manifest (DESIGN §4.1).

`finish_if_complete` runs inside the transaction that makes the last item terminal — the engine's
completion chunk or a cancel — so the batch turns terminal exactly once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.batches import repository
from runflow.batches.models import Batch, BatchStatus
from runflow.kit.clock import utcnow


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


async def finish_if_complete(session: AsyncSession, batch: Batch) -> bool:
    """Make `batch` terminal when every item is; returns whether it happened now."""
    if BatchStatus(batch.status_code).is_terminal or batch.items_terminal < batch.items_total:
        return False
    outcomes = await repository.item_outcomes(session, batch.id)
    now = utcnow()
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
    # The callback outbox row (DESIGN §6) is written here, in this same transaction.
    return True

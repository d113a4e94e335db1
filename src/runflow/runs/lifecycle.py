"""How a lone run (one created without a batch) ends: its own `run.<status>` callback."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.batches.lifecycle import error_of
from runflow.callbacks.outbox import Outbox
from runflow.callbacks.payload import run_payload
from runflow.runs.models import Run


async def enqueue_run_callbacks(
    session: AsyncSession, run_ids: Sequence[uuid.UUID], outbox: Outbox
) -> None:
    """Queue the `run.<status>` callback of lone runs that just ended, from their stored state."""
    statement = select(Run).where(Run.id.in_(run_ids), Run.callback_url.is_not(None))
    for run in await session.scalars(statement.execution_options(populate_existing=True)):
        assert run.callback_url is not None
        completed_at = run.completed_at or run.created_at
        await outbox.add(
            session,
            org_id=run.org_id,
            run_id=run.id,
            callback_url=run.callback_url,
            payload_bytes=run_payload(
                run_id=run.id,
                status=run.status_code,
                output=run.output,
                error=error_of(run.failure_code, run.failure_message, run.failure_stage_code),
                cost=run.cost,
                duration_ms=run.duration_ms,
                created_at=run.created_at,
                completed_at=completed_at,
                metadata=run.metadata_,
            ),
            now=completed_at,
            event_type=f"run.{run.status_code}",
        )

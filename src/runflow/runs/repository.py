"""Run queries, always scoped to the caller's org."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.catalog.models import Model
from runflow.db.engine import after_commit
from runflow.engine.models import NodeRun, RunLog
from runflow.metrics import instruments as metrics
from runflow.runs.models import Run, RunStatus


async def get_run(
    session: AsyncSession, org_id: uuid.UUID, run_id: uuid.UUID
) -> tuple[Run, bool, bool] | None:
    """The run with whether it has logs and node runs, in one query."""
    statement = select(
        Run,
        exists().where(RunLog.run_id == Run.id),
        exists().where(NodeRun.run_id == Run.id),
    ).where(Run.id == run_id, Run.org_id == org_id)
    # Reads after a bulk UPDATE in the same session must see the new values.
    statement = statement.execution_options(populate_existing=True)
    row = (await session.execute(statement)).one_or_none()
    return None if row is None else (row[0], bool(row[1]), bool(row[2]))


class CancelledRun(NamedTuple):
    run_id: uuid.UUID
    org_id: uuid.UUID
    credit_reserved: Decimal | None


async def cancel_queued(
    session: AsyncSession, criterion: ColumnElement[bool], now: datetime
) -> list[CancelledRun]:
    """End matching queued runs `cancelled` at once (they cost nothing); returns each one's
    id, org and reservation, which the caller gives back (`ledger.release`) once it has
    locked every run and batch it will: the org last, the order completions lock them in."""
    model_name = (
        select(Model.owner + "/" + Model.slug).where(Model.id == Run.model_id).scalar_subquery()
    )
    result = (
        await session.execute(
            update(Run)
            .where(criterion, Run.status_code == RunStatus.QUEUED)
            .values(status_code=RunStatus.CANCELLED, completed_at=now, cost=0)
            .returning(Run.id, Run.org_id, Run.credit_reserved, model_name)
            .execution_options(synchronize_session=False)
        )
    ).all()
    ended = [(model, RunStatus.CANCELLED.value, None) for *_, model in result]
    after_commit(session, lambda: metrics.runs_finished(ended))
    return [CancelledRun(run_id, org_id, reserved) for run_id, org_id, reserved, _ in result]


async def request_cancel_of_running(
    session: AsyncSession, criterion: ColumnElement[bool], now: datetime
) -> None:
    """Flag matching running runs; their worker sees the flag at its next heartbeat."""
    await session.execute(
        update(Run)
        .where(criterion, Run.status_code == RunStatus.RUNNING)
        .values(cancel_requested_at=func.coalesce(Run.cancel_requested_at, now))
        .execution_options(synchronize_session=False)
    )

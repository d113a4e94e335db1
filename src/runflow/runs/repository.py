"""Run queries, always scoped to the caller's org."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.engine.models import NodeRun, RunLog
from runflow.runs.models import Run


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


async def list_runs(session: AsyncSession, org_id: uuid.UUID, limit: int) -> Sequence[Run]:
    statement = (
        select(Run)
        .where(Run.org_id == org_id)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def logs_of(session: AsyncSession, run_id: uuid.UUID, limit: int) -> Sequence[RunLog]:
    statement = (
        select(RunLog)
        .where(RunLog.run_id == run_id)
        .order_by(RunLog.timestamp, RunLog.id)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def node_runs_of(session: AsyncSession, run_id: uuid.UUID) -> Sequence[NodeRun]:
    statement = (
        select(NodeRun).where(NodeRun.run_id == run_id).order_by(NodeRun.created_at, NodeRun.id)
    )
    return (await session.scalars(statement)).all()

"""Batch queries and writes. Items are written in one multi-row insert, never one by one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.batches.models import Batch, BatchItem
from runflow.runs.models import Run


async def insert_batch(
    session: AsyncSession,
    batch: Batch,
    runs: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
) -> None:
    session.add(batch)
    await session.flush()
    # Core multi-row inserts: the ORM's bulk path spends more Python per row than SQL does.
    await session.execute(insert(cast(Table, Run.__table__)), runs)
    await session.execute(insert(cast(Table, BatchItem.__table__)), items)


async def get_batch(
    session: AsyncSession, org_id: uuid.UUID, batch_id: uuid.UUID, *, for_update: bool = False
) -> Batch | None:
    statement = select(Batch).where(Batch.id == batch_id, Batch.org_id == org_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(statement)


async def item_handles(
    session: AsyncSession, batch_id: uuid.UUID
) -> Sequence[Row[uuid.UUID, int, str | None, uuid.UUID, str]]:
    """`(id, sequence_index, client_ref, run_id, status_code)` per item, in order."""
    statement = (
        select(
            BatchItem.id,
            BatchItem.sequence_index,
            BatchItem.client_ref,
            BatchItem.run_id,
            Run.status_code,
        )
        .join(Run, Run.id == BatchItem.run_id)
        .where(BatchItem.batch_id == batch_id)
        .order_by(BatchItem.sequence_index)
    )
    return (await session.execute(statement)).all()


async def item_outcomes(session: AsyncSession, batch_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Everything the terminal manifest needs, per item, in order."""
    statement = (
        select(
            BatchItem.sequence_index,
            BatchItem.client_ref,
            BatchItem.run_id,
            Run.status_code,
            Run.output,
            Run.failure_code,
            Run.failure_message,
            Run.failure_stage_code,
            Run.cost,
        )
        .join(Run, Run.id == BatchItem.run_id)
        .where(BatchItem.batch_id == batch_id)
        .order_by(BatchItem.sequence_index)
    )
    return (await session.execute(statement)).all()

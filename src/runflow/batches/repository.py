"""Batch queries and writes. A batch's runs and items are written one statement each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Row, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.batches.models import Batch, BatchItem
from runflow.db.json_rows import JsonRows
from runflow.runs.models import Run

_runs = cast(Table, Run.__table__)
_items = cast(Table, BatchItem.__table__)
_batches = cast(Table, Batch.__table__)
# The columns a batch's runs and items are created with; the rest take their defaults.
RUN_ROWS = JsonRows(
    "runs",
    _runs,
    (
        "id",
        "org_id",
        "model_id",
        "batch_id",
        "target_type",
        "target_version",
        "status_code",
        "source_code",
        "input",
        "client_ref",
        "created_by",
        "created_at",
        "available_at",
        "credit_reserved",
    ),
)
ITEM_ROWS = JsonRows(
    "items",
    _items,
    ("id", "batch_id", "sequence_index", "run_id", "client_ref", "created_at"),
)


_NEW_BATCH = insert(_batches)


@dataclass(frozen=True)
class BatchRows:
    """A new batch's row, and its runs and items encoded as one parameter each."""

    batch: dict[str, Any]
    runs: dict[str, str]
    items: dict[str, str]
    dialect: str
    # Credits its runs hold back from the org's balance (enforced orgs; else 0).
    reserved: Decimal = Decimal(0)


def encode_batch(
    dialect: str,
    batch: dict[str, Any],
    runs: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
    reserved: Decimal = Decimal(0),
) -> BatchRows:
    """Done before the transaction: encoding a hundred rows takes longer than writing them."""
    return BatchRows(
        batch,
        RUN_ROWS.parameters(dialect, runs),
        ITEM_ROWS.parameters(dialect, items),
        dialect,
        reserved,
    )


async def insert_batches(session: AsyncSession, new: Sequence[BatchRows]) -> None:
    """The batches, then their runs and their items: one statement each, whatever their number
    (see `db/group_commit.py` for why several batches go together)."""
    dialect = new[0].dialect
    await session.execute(_NEW_BATCH, [rows.batch for rows in new])
    runs = RUN_ROWS.concatenated([rows.runs for rows in new])
    await session.execute(RUN_ROWS.insert(dialect), runs)
    items = ITEM_ROWS.concatenated([rows.items for rows in new])
    await session.execute(ITEM_ROWS.insert(dialect), items)


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


async def item_handles_of(
    session: AsyncSession, batch_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """`item_handles` of several batches in one query, by batch."""
    statement = (
        select(
            BatchItem.batch_id,
            BatchItem.id,
            BatchItem.sequence_index,
            BatchItem.client_ref,
            BatchItem.run_id,
            Run.status_code,
        )
        .join(Run, Run.id == BatchItem.run_id)
        .where(BatchItem.batch_id.in_(batch_ids))
        .order_by(BatchItem.batch_id, BatchItem.sequence_index)
    )
    found: dict[uuid.UUID, list[dict[str, Any]]] = {batch_id: [] for batch_id in batch_ids}
    for row in (await session.execute(statement)).mappings():
        found[row["batch_id"]].append(dict(row))
    return found


async def item_inputs(
    session: AsyncSession, batch_id: uuid.UUID
) -> Sequence[Row[str | None, str, dict[str, Any]]]:
    """`(client_ref, status_code, input)` of each item's run, in order."""
    statement = (
        select(BatchItem.client_ref, Run.status_code, Run.input)
        .join(Run, Run.id == BatchItem.run_id)
        .where(BatchItem.batch_id == batch_id)
        .order_by(BatchItem.sequence_index)
    )
    return (await session.execute(statement)).all()


Outcome = Row[*tuple[Any, ...]]


async def item_outcomes(
    session: AsyncSession, batch_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Outcome]]:
    """Everything the terminal manifests of `batch_ids` need, per item in order, by batch:
    one query for all of them (Core: the ORM's result handling would cost more than it)."""
    statement = (
        select(
            _items.c.batch_id,
            _items.c.sequence_index,
            _items.c.client_ref,
            _items.c.run_id,
            _runs.c.status_code,
            _runs.c.output,
            _runs.c.failure_code,
            _runs.c.failure_message,
            _runs.c.failure_stage_code,
            _runs.c.cost,
        )
        .join(_runs, _runs.c.id == _items.c.run_id)
        .where(_items.c.batch_id.in_(batch_ids))
        .order_by(_items.c.batch_id, _items.c.sequence_index)
    )
    outcomes: dict[uuid.UUID, list[Row[*tuple[Any, ...]]]] = {
        batch_id: [] for batch_id in batch_ids
    }
    for row in await session.execute(statement):
        outcomes[row.batch_id].append(row)
    return outcomes

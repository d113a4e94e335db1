"""`GET /batches/{batch_id}/items`: items with live run state, paged by keyset cursors.

Pages seek on the `(batch_id, sequence_index)` index, so page 10,000 costs what page 1 does.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.batches import repository
from runflow.batches.lifecycle import error_of
from runflow.batches.models import BatchItem
from runflow.batches.schemas import BatchItemPage, BatchItemRow
from runflow.errors import BadRequest, NotFound
from runflow.query.cursor import CursorCodec
from runflow.runs.models import Run

_ROW_COLUMNS = (
    BatchItem.id,
    BatchItem.batch_id,
    BatchItem.sequence_index,
    BatchItem.run_id,
    BatchItem.created_at,
    BatchItem.client_ref,
    Run.status_code,
    Run.input,
    Run.cost,
    Run.output,
    Run.failure_code,
    Run.failure_message,
    Run.failure_stage_code,
    Run.started_at,
    Run.completed_at,
)


def _item_row(row: Row[Any]) -> BatchItemRow:
    return BatchItemRow(
        id=row.id,
        batch_id=row.batch_id,
        sequence_index=row.sequence_index,
        run_id=row.run_id,
        created_at=row.created_at,
        client_ref=row.client_ref,
        status_code=row.status_code,
        input=row.input,
        cost=row.cost,
        output=row.output,
        error=error_of(row.failure_code, row.failure_message, row.failure_stage_code),
        started_at=row.started_at,
        completed_at=row.completed_at,
    )


async def list_items(
    session: AsyncSession,
    principal: Principal,
    batch_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    from_prev: bool,
    codec: CursorCodec,
) -> BatchItemPage:
    if await repository.get_batch(session, principal.org_id, batch_id) is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    scope = {"list": "batch_items", "parent": str(batch_id), "sort": "sequence_index:asc"}
    statement = select(*_ROW_COLUMNS).join(Run, Run.id == BatchItem.run_id)
    statement = statement.where(BatchItem.batch_id == batch_id)
    backwards = cursor is not None and from_prev
    boundary = -1
    if cursor is not None:
        key = codec.decode(cursor, scope=scope)
        if len(key) != 1 or not isinstance(key[0], int):
            raise BadRequest("The pagination cursor `pq` is invalid.")
        boundary = key[0]
        seek = (
            BatchItem.sequence_index < boundary
            if backwards
            else (BatchItem.sequence_index > boundary)
        )
        statement = statement.where(seek)
    order = BatchItem.sequence_index.desc() if backwards else BatchItem.sequence_index.asc()
    rows = list((await session.execute(statement.order_by(order).limit(limit + 1))).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    items = [_item_row(row) for row in rows]

    def cursor_at(sequence_index: int) -> str:
        return codec.encode(scope=scope, key=[sequence_index])

    # A boundary is a real row: going back, rows follow it; going forward from row ≥ 0,
    # rows precede it (`first` carries -1, before every row).
    more_after = True if backwards else has_more
    more_before = has_more if backwards else boundary >= 0
    return BatchItemPage(
        items=items,
        first=codec.encode(scope=scope, key=[-1]),
        next=cursor_at(items[-1].sequence_index) if items and more_after else None,
        previous=cursor_at(items[0].sequence_index) if items and more_before else None,
    )

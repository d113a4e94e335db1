"""`GET /batches/{batch_id}/items`: items with the live state of their runs, through the query kit.

The default order, `sequence_index`, is unique within a batch, so pages seek on the
`(batch_id, sequence_index)` index alone: page 10,000 costs what page 1 does.
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
from runflow.errors import NotFound
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listing, ListParams, fetch_page, plan
from runflow.query.projection import Columns, select_columns, values_of
from runflow.runs.embedding import run_details
from runflow.runs.listing import RUN_STATE
from runflow.runs.models import Run

# What each output field reads. JSON columns are selected only when their field is asked for.
_COLUMNS: Columns = {
    "id": BatchItem.id,
    "batch_id": BatchItem.batch_id,
    "sequence_index": BatchItem.sequence_index,
    "run_id": BatchItem.run_id,
    "created_at": BatchItem.created_at,
    "client_ref": BatchItem.client_ref,
    "status_code": Run.status_code,
    "input": Run.input,
    "cost": Run.cost,
    "output": Run.output,
    "error": (Run.failure_code, Run.failure_message, Run.failure_stage_code),
    "started_at": Run.started_at,
    "completed_at": Run.completed_at,
}

ITEMS = Listing(
    name="batch_items",
    filters={
        "id": Field(BatchItem.id, Kind.UUID, sortable=True, unique=True),
        "sequence_index": Field(BatchItem.sequence_index, Kind.INTEGER, sortable=True, unique=True),
        "run_id": Field(BatchItem.run_id, Kind.UUID),
        "client_ref": Field(BatchItem.client_ref, Kind.STRING, nullable=True, sortable=True),
        "created_at": Field(BatchItem.created_at, Kind.TIMESTAMP, sortable=True),
        # An item's live state is its run's: the fields it shows, plus a few more as `run.*`.
        **{name: RUN_STATE[name] for name in ("status_code", "started_at", "completed_at", "cost")},
        **{
            f"run.{name}": RUN_STATE[name]
            for name in ("failure_code", "failure_stage_code", "duration_ms", "attempt")
        },
    },
    default_sort="sequence_index:asc",
    columns=_COLUMNS,
    embeds=("run",),
)


def _row(row: Row[Any], fields: frozenset[str]) -> dict[str, Any]:
    values = row._mapping
    item = values_of(values, _COLUMNS, fields)
    if "error" in fields:
        item["error"] = error_of(
            values["failure_code"], values["failure_message"], values["failure_stage_code"]
        )
    return item


async def list_items(
    session: AsyncSession,
    principal: Principal,
    batch_id: uuid.UUID,
    params: ListParams,
    codec: CursorCodec,
) -> tuple[BatchItemPage, set[str]]:
    """One page of the batch's items and the item fields to render."""
    request = plan(ITEMS, params, parent=batch_id, codec=codec)
    if await repository.get_batch(session, principal.org_id, batch_id) is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    embed_run = "run" in request.embeds
    read = set(request.fields) | ({"run_id"} if embed_run else set())
    statement = (
        select(*select_columns(_COLUMNS, read))
        .select_from(BatchItem)
        .join(Run, Run.id == BatchItem.run_id)
        .where(BatchItem.batch_id == batch_id)
    )
    page = await fetch_page(session, statement, request, codec)
    rows = [_row(row, frozenset(read)) for row in page.rows]
    runs = await run_details(session, [row["run_id"] for row in rows]) if embed_run else {}
    items = [
        BatchItemRow.model_construct(**row, run=runs.get(row["run_id"]) if embed_run else None)
        for row in rows
    ]
    # `run` is null unless embedded; it shows when asked for or when no projection was.
    # Not "every field was asked for": `fields=` naming them all still means exactly those.
    projected = params.fields is not None and bool(params.fields.strip())
    rendered = set(request.fields) | ({"run"} if embed_run or not projected else set())
    return (
        BatchItemPage(items=items, first=page.first, next=page.next, previous=page.previous),
        rendered,
    )

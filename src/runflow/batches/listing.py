"""`GET /v1/batches`: the organization's batches through the query kit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.batches.models import Batch, BatchStatus
from runflow.batches.schemas import BatchList, BatchSummary
from runflow.batches.shape import links_for
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listing, ListParams, read_list
from runflow.query.projection import Columns

_COLUMNS: Columns = {
    **{name: getattr(Batch, name) for name in BatchSummary.model_fields if hasattr(Batch, name)},
    "target_type": Batch.target_type_code,
    "metadata": Batch.metadata_,
    "links": (Batch.id, Batch.retry_of),
}

BATCHES = Listing(
    name="batches",
    filters={
        "id": Field(Batch.id, Kind.UUID, sortable=True, unique=True),
        "status_code": Field(
            Batch.status_code, Kind.ENUM, choices=tuple(BatchStatus), sortable=True
        ),
        "target_id": Field(Batch.target_id, Kind.UUID),
        "created_at": Field(Batch.created_at, Kind.TIMESTAMP, sortable=True),
        "started_at": Field(Batch.started_at, Kind.TIMESTAMP, nullable=True, sortable=True),
        "completed_at": Field(Batch.completed_at, Kind.TIMESTAMP, nullable=True, sortable=True),
        "cost": Field(Batch.cost, Kind.DECIMAL, sortable=True),
        "items_total": Field(Batch.items_total, Kind.INTEGER, sortable=True),
        "items_succeeded": Field(Batch.items_succeeded, Kind.INTEGER, sortable=True),
        "items_failed": Field(Batch.items_failed, Kind.INTEGER, sortable=True),
        "items_cancelled": Field(Batch.items_cancelled, Kind.INTEGER, sortable=True),
        "duration_ms": Field(Batch.duration_ms, Kind.INTEGER, nullable=True, sortable=True),
        "failure_code": Field(Batch.failure_code, Kind.STRING, nullable=True),
    },
    default_sort="created_at:desc",
    columns=_COLUMNS,
)


async def list_batches(
    session: AsyncSession, principal: Principal, params: ListParams, codec: CursorCodec
) -> tuple[BatchList, frozenset[str]]:
    org_id = principal.org_id
    where = Batch.org_id == org_id
    listed = await read_list(session, BATCHES, params, codec, parent=org_id, where=where)
    if listed.request.wants("links"):
        for values, row in zip(listed.values, listed.rows, strict=True):
            values["links"] = links_for(row["id"], row["retry_of"])
    items = [BatchSummary.model_construct(**values) for values in listed.values]
    return BatchList(items=items, **listed.cursors), listed.request.fields

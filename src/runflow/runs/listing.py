"""`GET /v1/runs`, `/v1/runs/{id}/logs` and `/v1/runs/{id}/node-runs`, through the query kit."""

from __future__ import annotations

import uuid

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from runflow.auth.dependencies import Principal
from runflow.engine.models import NodeRun, RunLog
from runflow.errors import NotFound
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listed, Listing, ListParams, read_list
from runflow.query.projection import Columns
from runflow.runs import repository
from runflow.runs.models import FailureStage, Run, RunStatus
from runflow.runs.schemas import NodeRunList, NodeRunRead, RunList, RunLogList, RunLogRead, RunRead
from runflow.runs.shape import run_links

_RUN_COLUMNS: Columns = {
    **{name: getattr(Run, name) for name in RunRead.model_fields if hasattr(Run, name)},
    "metadata": Run.metadata_,
    "has_logs": exists().where(RunLog.run_id == Run.id),
    "has_node_runs": exists().where(NodeRun.run_id == Run.id),
    "links": (Run.id, Run.batch_id, Run.rerun_of),
}

# A run's live state, filtered the same way wherever runs show up: batch items use these too.
RUN_STATE: dict[str, Field] = {
    "status_code": Field(Run.status_code, Kind.ENUM, choices=tuple(RunStatus), sortable=True),
    "started_at": Field(Run.started_at, Kind.TIMESTAMP, nullable=True, sortable=True),
    "completed_at": Field(Run.completed_at, Kind.TIMESTAMP, nullable=True, sortable=True),
    "cost": Field(Run.cost, Kind.DECIMAL, nullable=True, sortable=True),
    "duration_ms": Field(Run.duration_ms, Kind.INTEGER, nullable=True, sortable=True),
    "failure_code": Field(Run.failure_code, Kind.STRING, nullable=True),
    "failure_stage_code": Field(
        Run.failure_stage_code, Kind.ENUM, nullable=True, choices=tuple(FailureStage)
    ),
    "attempt": Field(Run.attempt, Kind.INTEGER),
}

RUNS = Listing(
    name="runs",
    filters={
        "id": Field(Run.id, Kind.UUID, sortable=True, unique=True),
        "model_id": Field(Run.model_id, Kind.UUID),
        "batch_id": Field(Run.batch_id, Kind.UUID, nullable=True),
        "client_ref": Field(Run.client_ref, Kind.STRING, nullable=True, sortable=True),
        "source_code": Field(Run.source_code, Kind.STRING),
        "created_at": Field(Run.created_at, Kind.TIMESTAMP, sortable=True),
        **RUN_STATE,
    },
    default_sort="created_at:desc",
    columns=_RUN_COLUMNS,
)

_LOG_COLUMNS: Columns = {
    **{name: getattr(RunLog, name) for name in RunLogRead.model_fields if name != "run"},
    "run": (),  # always null on a listed log line: the contract's shape
}

LOGS = Listing(
    name="run_logs",
    filters={
        "id": Field(RunLog.id, Kind.UUID, sortable=True, unique=True),
        "level_code": Field(RunLog.level_code, Kind.STRING),
        "message": Field(RunLog.message, Kind.STRING),
        "timestamp": Field(RunLog.timestamp, Kind.TIMESTAMP, sortable=True),
    },
    default_sort="timestamp:asc",
    columns=_LOG_COLUMNS,
)

_NODE_RUN_COLUMNS: Columns = {name: getattr(NodeRun, name) for name in NodeRunRead.model_fields}

NODE_RUNS = Listing(
    name="node_runs",
    filters={
        "id": Field(NodeRun.id, Kind.UUID, sortable=True, unique=True),
        "node_id": Field(NodeRun.node_id, Kind.UUID),
        "state_code": Field(NodeRun.state_code, Kind.STRING),
        "input_signature": Field(NodeRun.input_signature, Kind.STRING),
        "created_at": Field(NodeRun.created_at, Kind.TIMESTAMP, sortable=True),
        "started_at": Field(NodeRun.started_at, Kind.TIMESTAMP, nullable=True, sortable=True),
        "completed_at": Field(NodeRun.completed_at, Kind.TIMESTAMP, nullable=True, sortable=True),
        "duration_ms": Field(NodeRun.duration_ms, Kind.INTEGER, nullable=True, sortable=True),
        "cost": Field(NodeRun.cost, Kind.DECIMAL, nullable=True, sortable=True),
        "retry_count": Field(NodeRun.retry_count, Kind.INTEGER, sortable=True),
    },
    default_sort="created_at:asc",
    columns=_NODE_RUN_COLUMNS,
)


async def list_runs(
    session: AsyncSession, principal: Principal, params: ListParams, codec: CursorCodec
) -> tuple[RunList, frozenset[str]]:
    org_id = principal.org_id
    listed = await read_list(
        session, RUNS, params, codec, parent=org_id, where=Run.org_id == org_id
    )
    if listed.request.wants("links"):
        for values, row in zip(listed.values, listed.rows, strict=True):
            values["links"] = run_links(row["id"], row["batch_id"], row["rerun_of"])
    items = [RunRead.model_construct(**values) for values in listed.values]
    return RunList(items=items, **listed.cursors), listed.request.fields


async def _read_of_run(
    session: AsyncSession,
    principal: Principal,
    run_id: uuid.UUID,
    listing: Listing,
    owner: QueryableAttribute[uuid.UUID],
    params: ListParams,
    codec: CursorCodec,
) -> Listed:
    """A page of one of the run's own lists (its logs, its node runs): 404 for another org's."""
    if await repository.get_run(session, principal.org_id, run_id) is None:
        raise NotFound(f"Run {run_id} does not exist.")
    return await read_list(session, listing, params, codec, parent=run_id, where=owner == run_id)


async def list_logs(
    session: AsyncSession,
    principal: Principal,
    run_id: uuid.UUID,
    params: ListParams,
    codec: CursorCodec,
) -> tuple[RunLogList, frozenset[str]]:
    listed = await _read_of_run(session, principal, run_id, LOGS, RunLog.run_id, params, codec)
    items = [RunLogRead.model_construct(**values) for values in listed.values]
    return RunLogList(items=items, **listed.cursors), listed.request.fields


async def list_node_runs(
    session: AsyncSession,
    principal: Principal,
    run_id: uuid.UUID,
    params: ListParams,
    codec: CursorCodec,
) -> tuple[NodeRunList, frozenset[str]]:
    listed = await _read_of_run(
        session, principal, run_id, NODE_RUNS, NodeRun.run_id, params, codec
    )
    items = [NodeRunRead.model_construct(**values) for values in listed.values]
    return NodeRunList(items=items, **listed.cursors), listed.request.fields

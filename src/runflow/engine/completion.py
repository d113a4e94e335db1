"""Completion: apply a chunk of finished executions in one transaction.

For every completion whose `attempt` still matches its run (the fence), the run gets its terminal
state, its logs and node runs are written, its batch's counters move, and a batch whose last
item just ended turns terminal — all in the same transaction, so a batch ends exactly once and
never before every item has.

A completion may also put a run back in the queue (`retry_at`): a transient failure or a lease
taken from a crashed worker.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from runflow.batches.lifecycle import finish_if_complete
from runflow.batches.models import Batch, BatchStatus
from runflow.callbacks.outbox import Outbox
from runflow.engine.models import NodeRun, RunLog
from runflow.runs.lifecycle import enqueue_run_callbacks
from runflow.runs.models import Run, RunStatus


@dataclass
class Completion:
    run_id: uuid.UUID
    attempt: int
    status: RunStatus
    completed_at: datetime
    output: dict[str, Any] | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    failure_stage_code: str | None = None
    cost: Decimal = Decimal(0)
    cost_breakdown: dict[str, Any] | None = None
    nodes_total: int | None = None
    nodes_completed: int | None = None
    retry_at: datetime | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    node_runs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _BatchDelta:
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0


_batches = cast(Table, Batch.__table__)
_runs = cast(Table, Run.__table__)
_run_logs = cast(Table, RunLog.__table__)
_node_runs = cast(Table, NodeRun.__table__)


# Every completion clears the lease; a finished run also drops its live progress.
_RELEASED = {"lease_owner": None, "lease_expires_at": None}
_FINISHED = {**_RELEASED, "context": None}


def _update_runs_by_id(columns: tuple[str, ...], constants: dict[str, Any]) -> Update:
    """`UPDATE runs SET <columns>, <constants> WHERE id = :b_id`; parameters are the columns
    prefixed `b_` (SQLAlchemy reserves the bare column names for its own SET parameters)."""
    return (
        update(_runs)
        .where(_runs.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns if name != "id"})
        .values(constants)
    )


# Core, not ORM: one executemany adds each batch's deltas to what is stored.
_BATCH_COUNTERS = (
    update(_batches)
    .where(_batches.c.id == bindparam("b_id"))
    .values(
        items_succeeded=_batches.c.items_succeeded + bindparam("d_succeeded"),
        items_failed=_batches.c.items_failed + bindparam("d_failed"),
        items_cancelled=_batches.c.items_cancelled + bindparam("d_cancelled"),
    )
)


@dataclass(frozen=True)
class _RunState:
    attempt: int
    status: str
    batch_id: uuid.UUID | None
    started_at: datetime | None
    has_callback: bool


async def _current_states(
    session: AsyncSession, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, _RunState]:
    statement = select(
        Run.id,
        Run.attempt,
        Run.status_code,
        Run.batch_id,
        Run.started_at,
        Run.callback_url.is_not(None),
    ).where(Run.id.in_(run_ids))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    rows = await session.execute(statement)
    return {row[0]: _RunState(row[1], row[2], row[3], row[4], bool(row[5])) for row in rows}


def _run_values(completion: Completion, started_at: datetime | None) -> dict[str, Any]:
    if completion.retry_at is not None:
        return {
            "id": completion.run_id,
            "status_code": RunStatus.QUEUED,
            "available_at": completion.retry_at,
            "failure_code": completion.failure_code,
            "failure_message": completion.failure_message,
            "failure_stage_code": completion.failure_stage_code,
        }
    duration = None
    if started_at is not None:
        duration = int((completion.completed_at - started_at).total_seconds() * 1000)
    return {
        "id": completion.run_id,
        "status_code": completion.status,
        "output": completion.output,
        "failure_code": completion.failure_code,
        "failure_message": completion.failure_message,
        "failure_stage_code": completion.failure_stage_code,
        "cost": completion.cost,
        "cost_breakdown": completion.cost_breakdown,
        "nodes_total": completion.nodes_total,
        "nodes_completed": completion.nodes_completed,
        "completed_at": completion.completed_at,
        "duration_ms": duration,
    }


async def apply_completions(
    session: AsyncSession, completions: Sequence[Completion], outbox: Outbox
) -> int:
    """Apply what the fence allows; returns how many completions took effect."""
    if not completions:
        return 0
    current = await _current_states(session, [c.run_id for c in completions])
    applied: list[Completion] = []
    for completion in completions:
        state = current.get(completion.run_id)
        if (
            state is not None
            and state.attempt == completion.attempt
            and state.status == RunStatus.RUNNING
        ):
            applied.append(completion)
    if not applied:
        return 0

    terminal_rows: list[dict[str, Any]] = []
    retry_rows: list[dict[str, Any]] = []
    deltas: defaultdict[uuid.UUID, _BatchDelta] = defaultdict(_BatchDelta)
    logs: list[dict[str, Any]] = []
    node_runs: list[dict[str, Any]] = []
    lone_runs_with_callback: list[uuid.UUID] = []
    for completion in applied:
        state = current[completion.run_id]
        batch_id = state.batch_id
        values = _run_values(completion, state.started_at)
        (retry_rows if completion.retry_at is not None else terminal_rows).append(values)
        logs.extend({"run_id": completion.run_id, **log} for log in completion.logs)
        node_runs.extend({"run_id": completion.run_id, **node} for node in completion.node_runs)
        if completion.retry_at is None and batch_id is None and state.has_callback:
            lone_runs_with_callback.append(completion.run_id)
        if completion.retry_at is None and batch_id is not None:
            delta = deltas[batch_id]
            if completion.status == RunStatus.SUCCEEDED:
                delta.succeeded += 1
            elif completion.status == RunStatus.FAILED:
                delta.failed += 1
            else:
                delta.cancelled += 1

    # Core executemany throughout: the ORM's bulk paths cost more Python per row than the
    # database spends on it.
    for rows, constants in ((terminal_rows, _FINISHED), (retry_rows, _RELEASED)):
        if rows:
            parameters = [{f"b_{key}": value for key, value in row.items()} for row in rows]
            await session.execute(_update_runs_by_id(tuple(rows[0]), constants), parameters)
    if logs:
        await session.execute(insert(_run_logs), logs)
    if node_runs:
        await session.execute(insert(_node_runs), node_runs)
    if deltas:
        await session.execute(
            _BATCH_COUNTERS,
            [
                {
                    "b_id": batch_id,
                    "d_succeeded": delta.succeeded,
                    "d_failed": delta.failed,
                    "d_cancelled": delta.cancelled,
                }
                for batch_id, delta in deltas.items()
            ],
        )
        await _finish_batches(session, list(deltas), outbox)
    if lone_runs_with_callback:
        await enqueue_run_callbacks(session, lone_runs_with_callback, outbox)
    return len(applied)


async def _finish_batches(
    session: AsyncSession, batch_ids: list[uuid.UUID], outbox: Outbox
) -> None:
    statement = select(Batch).where(
        Batch.id.in_(batch_ids),
        Batch.status_code.in_((BatchStatus.QUEUED, BatchStatus.RUNNING)),
        Batch.items_succeeded + Batch.items_failed + Batch.items_cancelled >= Batch.items_total,
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    # Only what ending a batch reads: its `input` and `metadata` can be large.
    statement = statement.options(
        load_only(
            Batch.id,
            Batch.org_id,
            Batch.status_code,
            Batch.items_total,
            Batch.items_succeeded,
            Batch.items_failed,
            Batch.items_cancelled,
            Batch.cancel_requested_at,
            Batch.created_at,
            Batch.started_at,
            Batch.callback_url,
            Batch.metadata_,
        )
    ).execution_options(populate_existing=True)
    for batch in (await session.scalars(statement)).all():
        await finish_if_complete(session, batch, outbox)

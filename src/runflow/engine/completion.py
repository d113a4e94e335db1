"""Completion: apply a chunk of finished executions in one transaction.

For every completion whose `attempt` still matches its run (the fence), the run gets its terminal
state, its cost is debited from its org's credits (and what it reserved given back), its logs
and node runs are written, its batch's counters move, and a batch whose last item just ended
turns terminal — all in the same transaction, so a batch ends exactly once and never before
every item has. The runs and node runs of a chunk are written by one statement
each, whatever the chunk's size (`db/json_rows.py`); the fence is part of the UPDATE.

A completion may also put a run back in the queue (`retry_at`): a transient failure or a lease
taken from a crashed worker.

Runs done on the spot are completed `at_claim`: in the transaction that took them, straight
from `queued`, never leased. Their one write counts the attempt and sets when they started;
its fence is the attempt before.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import ReturningUpdate

from runflow.batches.lifecycle import finish_complete
from runflow.batches.models import Batch, BatchStatus
from runflow.callbacks.outbox import Outbox
from runflow.credits import ledger
from runflow.db.json_rows import JsonRows
from runflow.engine.models import NodeRun, RunLog
from runflow.kit.ids import new_id
from runflow.live.changes import announce
from runflow.runs.lifecycle import enqueue_run_callbacks
from runflow.runs.models import Run, RunStatus
from runflow.webhooks.events import has_live_endpoints
from runflow.webhooks.publishing import publish_run_endings


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
    # When the run first started (its claim says), for `duration_ms`.
    started_at: datetime | None = None
    # Its model, for the metrics of the runs that end (None where the caller does not know).
    model_id: uuid.UUID | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    node_runs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _BatchDelta:
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    cost: Decimal = Decimal(0)


_batches = cast(Table, Batch.__table__)
_runs = cast(Table, Run.__table__)
_run_logs = cast(Table, RunLog.__table__)
_node_runs = cast(Table, NodeRun.__table__)

_FENCE = ("id", "attempt")
_FINISHED = JsonRows(
    "finished",
    _runs,
    (
        *_FENCE,
        "status_code",
        "output",
        "failure_code",
        "failure_message",
        "failure_stage_code",
        "cost",
        "cost_breakdown",
        "nodes_total",
        "nodes_completed",
        "completed_at",
        "duration_ms",
    ),
)
_REQUEUED = JsonRows(
    "requeued",
    _runs,
    (
        *_FENCE,
        "status_code",
        "available_at",
        "failure_code",
        "failure_message",
        "failure_stage_code",
    ),
)


# Runs done on the spot, completed in the transaction of their claim (`at_claim`).
_FINISHED_AT_CLAIM = JsonRows("finished", _runs, (*_FINISHED.columns, "started_at"))
_REQUEUED_AT_CLAIM = JsonRows("requeued", _runs, (*_REQUEUED.columns, "started_at"))
_AT_CLAIM = (_FINISHED_AT_CLAIM, _REQUEUED_AT_CLAIM)
_AS_LEASED = (_FINISHED, _REQUEUED)


@functools.cache
def _node_runs_with(columns: tuple[str, ...]) -> JsonRows:
    """Node run rows that carry `columns`; the table's other columns take their defaults.
    SQLite reads every column out of every row's JSON: a model's node runs bring only the
    keys they have."""
    return JsonRows("node_runs", _node_runs, columns)


def _encoded_node_runs(
    completions: Sequence[Completion], dialect: str
) -> tuple[JsonRows, dict[str, str]] | None:
    rows = [
        {"id": new_id(), "run_id": c.run_id, **node} for c in completions for node in c.node_runs
    ]
    if not rows:
        return None
    table = _node_runs_with(tuple(sorted(set().union(*rows))))
    return table, table.parameters(dialect, rows)


# Every completion clears the lease; a finished run also drops its live progress.
_RELEASED: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}
_CLEARED: dict[str, Any] = {**_RELEASED, "context": None}

# Core, not ORM: one executemany adds each batch's deltas to what is stored. The cost too,
# so that a running batch's cost is the sum of its ended items' (DESIGN §5), as its end
# computes it again from the runs.
_BATCH_COUNTERS = (
    update(_batches)
    .where(_batches.c.id == bindparam("b_id"))
    .values(
        items_succeeded=_batches.c.items_succeeded + bindparam("d_succeeded"),
        items_failed=_batches.c.items_failed + bindparam("d_failed"),
        items_cancelled=_batches.c.items_cancelled + bindparam("d_cancelled"),
        cost=_batches.c.cost + bindparam("d_cost", type_=_batches.c.cost.type),
    )
)


@functools.cache
def _fenced_update(rows: JsonRows, dialect: str) -> ReturningUpdate[Any]:
    """`UPDATE runs … FROM rows` where each row's attempt is still the run's and the run is
    still running (the fence); returns the runs it changed. At claim: where the run is still
    queued, one attempt before the row's, which it becomes."""
    given = rows.source(dialect)
    constants = _CLEARED if rows in (_FINISHED, _FINISHED_AT_CLAIM) else _RELEASED
    at_claim = rows in _AT_CLAIM
    status = RunStatus.QUEUED if at_claim else RunStatus.RUNNING
    attempt = given.c.attempt - 1 if at_claim else given.c.attempt
    in_status: ColumnElement[bool] = _runs.c.status_code == status
    # Both planners must walk the given rows and find each run by id. Starting from the
    # status index instead reads every running run (thousands while a burst runs) to update a
    # chunk, and the statistics, gathered when few runs were running, make that look cheap.
    if dialect == "sqlite":
        # Told that most runs have the status, SQLite's planner leaves its index alone.
        in_status = func.likelihood(in_status, literal_column("0.9"))
    else:
        # PostgreSQL cannot use an index for IS NOT DISTINCT FROM; the status (never null)
        # is then checked on each run found by id (the join for a chunk of 500: 14 → 3 ms).
        in_status = _runs.c.status_code.is_not_distinct_from(status)
    fence = ("id",) if at_claim else _FENCE
    return (
        update(_runs)
        .where(_runs.c.id == given.c.id, _runs.c.attempt == attempt, in_status)
        .values({name: given.c[name] for name in rows.columns if name not in fence})
        .values(constants)
        .returning(
            _runs.c.id,
            _runs.c.org_id,
            _runs.c.batch_id,
            _runs.c.callback_url.is_not(None),
            _runs.c.credit_reserved,
            # Read with the update, not by a query of its own: most orgs have no endpoint.
            has_live_endpoints(_runs.c.org_id),
        )
    )


def _finished_row(completion: Completion, at_claim: bool) -> dict[str, Any]:
    duration = None
    if completion.started_at is not None:
        duration = int((completion.completed_at - completion.started_at).total_seconds() * 1000)
    return _started(completion, at_claim) | {
        "id": completion.run_id,
        "attempt": completion.attempt,
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


def _requeued_row(completion: Completion, at_claim: bool) -> dict[str, Any]:
    return _started(completion, at_claim) | {
        "id": completion.run_id,
        "attempt": completion.attempt,
        "status_code": RunStatus.QUEUED,
        "available_at": completion.retry_at,
        "failure_code": completion.failure_code,
        "failure_message": completion.failure_message,
        "failure_stage_code": completion.failure_stage_code,
    }


def _started(completion: Completion, at_claim: bool) -> dict[str, Any]:
    """At claim, the one write also says when the run started (its claim, or an earlier
    attempt), as a lease would have."""
    return {"started_at": completion.started_at} if at_claim else {}


@dataclass(frozen=True)
class _Applied:
    org_id: uuid.UUID
    batch_id: uuid.UUID | None
    has_callback: bool
    credit_reserved: Decimal | None
    has_endpoints: bool


async def _apply_fenced(
    session: AsyncSession, rows: JsonRows, dialect: str, parameters: dict[str, str] | None
) -> dict[uuid.UUID, _Applied]:
    if parameters is None:
        return {}
    result = await session.execute(_fenced_update(rows, dialect), parameters)
    return {
        run_id: _Applied(org_id, batch_id, bool(callback), reserved, bool(endpoints))
        for run_id, org_id, batch_id, callback, reserved, endpoints in result
    }


def _encoded(rows: JsonRows, dialect: str, values: list[dict[str, Any]]) -> dict[str, str] | None:
    return rows.parameters(dialect, values) if values else None


async def apply_completions(
    session: AsyncSession,
    completions: Sequence[Completion],
    outbox: Outbox,
    *,
    at_claim: bool = False,
) -> list[Completion]:
    """Apply what the fence allows; returns the completions that took effect. `at_claim`:
    of runs done on the spot, taken by this transaction and not leased (`take_due_runs`).

    The rows are built and encoded before the first statement — on SQLite, before this
    transaction's turn at the writer — on the likely guess that the fence lets them all
    through; the node runs are encoded again for the ones it does let through otherwise.
    """
    dialect = session.get_bind().dialect.name
    finished = [c for c in completions if c.retry_at is None]
    requeued = [c for c in completions if c.retry_at is not None]
    ended, retried = (_FINISHED_AT_CLAIM, _REQUEUED_AT_CLAIM) if at_claim else _AS_LEASED
    finished_rows = _encoded(ended, dialect, [_finished_row(c, at_claim) for c in finished])
    requeued_rows = _encoded(retried, dialect, [_requeued_row(c, at_claim) for c in requeued])
    node_runs = _encoded_node_runs(completions, dialect)

    applied = await _apply_fenced(session, ended, dialect, finished_rows)
    applied_requeues = await _apply_fenced(session, retried, dialect, requeued_rows)
    taken = [c for c in completions if c.run_id in applied or c.run_id in applied_requeues]
    if not taken:
        return []
    if len(taken) < len(completions):
        node_runs = _encoded_node_runs(taken, dialect)

    deltas: defaultdict[uuid.UUID, _BatchDelta] = defaultdict(_BatchDelta)
    lone_runs_with_callback: list[uuid.UUID] = []
    for completion in finished:
        run = applied.get(completion.run_id)
        if run is None:
            continue
        if run.batch_id is None:
            if run.has_callback:
                lone_runs_with_callback.append(completion.run_id)
            continue
        delta = deltas[run.batch_id]
        delta.cost += completion.cost
        if completion.status == RunStatus.SUCCEEDED:
            delta.succeeded += 1
        elif completion.status == RunStatus.FAILED:
            delta.failed += 1
        else:
            delta.cancelled += 1

    logs = [{"run_id": c.run_id, **log} for c in taken for log in c.logs]
    if logs:
        await session.execute(insert(_run_logs), logs)
    if node_runs is not None:
        table, rows = node_runs
        await session.execute(table.insert(dialect), rows)
    heard = [(run_id, run.org_id) for run_id, run in applied.items() if run.has_endpoints]
    if heard:
        await publish_run_endings(session, outbox, heard, finished[0].completed_at)
    if deltas:
        await session.execute(
            _BATCH_COUNTERS,
            [
                {
                    "b_id": batch_id,
                    "d_succeeded": delta.succeeded,
                    "d_failed": delta.failed,
                    "d_cancelled": delta.cancelled,
                    "d_cost": delta.cost,
                }
                for batch_id, delta in deltas.items()
            ],
        )
        await _finish_batches(session, list(deltas), outbox, publish=bool(heard))
    if lone_runs_with_callback:
        await enqueue_run_callbacks(session, lone_runs_with_callback, outbox)
    if applied:  # the orgs' rows last (the lock order), and so held the shortest time
        await ledger.settle(
            session, outbox, _ended_runs(finished, applied), finished[0].completed_at
        )
    await announce(session, [c.run_id for c in taken] + list(deltas))
    return taken


def _ended_runs(
    finished: Sequence[Completion], applied: dict[uuid.UUID, _Applied]
) -> list[ledger.EndedRun]:
    return [
        ledger.EndedRun(run.org_id, c.run_id, run.batch_id, c.cost, run.credit_reserved)
        for c in finished
        if (run := applied.get(c.run_id)) is not None
    ]


@functools.cache
def _batches_to_finish(dialect: str) -> Select[Batch]:
    """The batches of `:batch_ids` whose every item is terminal and which are not yet; only
    what ending a batch reads (their `input` and `metadata` can be large). Built once."""
    statement = select(Batch).where(
        Batch.id.in_(bindparam("batch_ids", expanding=True)),
        Batch.status_code.in_((BatchStatus.QUEUED, BatchStatus.RUNNING)),
        Batch.items_succeeded + Batch.items_failed + Batch.items_cancelled >= Batch.items_total,
    )
    if dialect == "postgresql":
        statement = statement.with_for_update()
    return statement.options(
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


async def _finish_batches(
    session: AsyncSession, batch_ids: list[uuid.UUID], outbox: Outbox, *, publish: bool
) -> None:
    statement = _batches_to_finish(session.get_bind().dialect.name)
    batches = (await session.scalars(statement, {"batch_ids": batch_ids})).all()
    await finish_complete(session, batches, outbox, publish=publish)

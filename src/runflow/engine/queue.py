"""The runs table as a durable queue: fair chunked claims, leases, heartbeats and the reaper.

A claim takes due `queued` runs; those that run in a slot it moves to `running`, stamps a lease
and increments `attempt`, the fencing token every later write of that execution must present.
Runs done on the spot (an `echo`) are not leased: in the claim's own transaction they go from
`queued` to their ending, their attempt counted by that one write (`engine/completion.py`).
PostgreSQL takes runs with `FOR UPDATE SKIP LOCKED`, so any number of workers share the table
without blocking each other; SQLite has one writer at a time and needs no row locks.

Fairness: each claim cycle visits orgs with queued work in rotation (a loose index scan over
`(status_code, org_id)`), and splits the chunk between them, so one org's 10,000 queued items
cannot starve another org's single item.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Table,
    Uuid,
    bindparam,
    func,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from runflow.batches.models import Batch, BatchStatus
from runflow.db.json_rows import JsonRows
from runflow.db.types import UTCDateTime
from runflow.runs.models import Run, RunStatus, status_is

ORGS_PER_CLAIM = 8
_runs = cast(Table, Run.__table__)
_batches = cast(Table, Batch.__table__)
_ZERO_UUID = uuid.UUID(int=0)

# Distinct orgs with queued runs, one index seek per org: those after :after in id order, then
# (wrapping around) those up to :after — one statement, however the rotation falls — each
# with its concurrency cap, if any.
_QUEUED_ORGS = (
    text(
        """
    WITH RECURSIVE after_orgs(org_id) AS (
        SELECT (
            SELECT org_id FROM runs WHERE status_code = 'queued' AND org_id > :after
            ORDER BY org_id LIMIT 1
        )
        UNION ALL
        SELECT (
            SELECT r.org_id FROM runs r WHERE r.status_code = 'queued' AND r.org_id > a.org_id
            ORDER BY r.org_id LIMIT 1
        )
        FROM after_orgs a WHERE a.org_id IS NOT NULL
    ),
    wrapped_orgs(org_id) AS (
        SELECT (
            SELECT org_id FROM runs WHERE status_code = 'queued' ORDER BY org_id LIMIT 1
        )
        UNION ALL
        SELECT (
            SELECT r.org_id FROM runs r WHERE r.status_code = 'queued' AND r.org_id > w.org_id
            ORDER BY r.org_id LIMIT 1
        )
        FROM wrapped_orgs w WHERE w.org_id IS NOT NULL AND w.org_id < :after
    )
    SELECT org_id, (SELECT max_concurrent_runs FROM orgs WHERE orgs.id = org_id) AS cap
    FROM (
        SELECT org_id FROM after_orgs WHERE org_id IS NOT NULL
        UNION ALL
        SELECT org_id FROM wrapped_orgs WHERE org_id IS NOT NULL AND org_id <= :after
        LIMIT :limit
    ) AS visited
    """
    )
    .bindparams(bindparam("after", type_=Uuid()))
    .columns(org_id=Uuid(), cap=Integer())
)


@dataclass(frozen=True)
class ClaimedRun:
    id: uuid.UUID
    attempt: int
    org_id: uuid.UUID
    batch_id: uuid.UUID | None
    model_id: uuid.UUID
    input: dict[str, Any]
    started_at: datetime
    # Seconds from when the run was due to this claim (the queue wait of the metrics).
    waited_s: float = 0.0


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def orgs_with_queued_runs(
    session: AsyncSession, after: uuid.UUID | None, limit: int = ORGS_PER_CLAIM
) -> dict[uuid.UUID, int | None]:
    """Up to `limit` orgs with queued runs, starting after `after` and wrapping around, in
    that order, each with its concurrency cap (None: uncapped)."""
    found = await session.execute(_QUEUED_ORGS, {"after": after or _ZERO_UUID, "limit": limit})
    return {org_id: cap for org_id, cap in found}


def _waited_s(now: datetime, dialect: str) -> ColumnElement[float]:
    """Seconds from a run's `available_at` to `now`, computed by the database: a number is
    cheaper to read back than a datetime."""
    claimed_at = literal(now, UTCDateTime)
    if dialect == "postgresql":
        return type_coerce(func.extract("epoch", claimed_at - _runs.c.available_at), Float)
    # SQLite: Julian days are doubles, exact to a few microseconds today.
    return (func.julianday(claimed_at) - func.julianday(_runs.c.available_at)) * 86400.0


async def _capacity_left(
    session: AsyncSession, orgs: dict[uuid.UUID, int | None]
) -> dict[uuid.UUID, int]:
    """Free slots of orgs that have a concurrency cap; uncapped orgs are absent."""
    caps = {org_id: cap for org_id, cap in orgs.items() if cap is not None}
    if not caps:
        return {}
    running: dict[uuid.UUID, int] = {
        org_id: count
        for org_id, count in await session.execute(
            select(Run.org_id, func.count())
            .where(status_is(RunStatus.RUNNING), Run.org_id.in_(caps))
            .group_by(Run.org_id)
        )
    }
    return {org: max(0, cap - running.get(org, 0)) for org, cap in caps.items()}


@dataclass(frozen=True)
class ClaimScope:
    """Which models' runs a worker may claim (DESIGN §13).

    `served`: the models it serves (None: every model). `slots`: for models with a per-worker
    `concurrency`, how many more of their runs it may take now; their runs are claimed apart,
    never more than that, so a claim of 500 never hands one GPU worker 500 runs it would run
    one by one while another worker idles."""

    served: frozenset[uuid.UUID] | None = None
    slots: Mapping[uuid.UUID, int] = field(default_factory=dict)


EVERY_MODEL = ClaimScope()


async def take_due_runs(
    session: AsyncSession,
    *,
    limit: int,
    now: datetime,
    after_org: uuid.UUID | None = None,
    scope: ClaimScope = EVERY_MODEL,
) -> list[ClaimedRun]:
    """Up to `limit` due runs, shared fairly between orgs, each with the attempt a claim makes
    it. Nothing is changed yet; PostgreSQL locks the rows (`SKIP LOCKED`), SQLite's one writer
    holds them all. In the same transaction, `lease_runs` claims those that will run in a
    slot; those done on the spot are written straight from `queued` to their ending
    (`apply_completions(at_claim=True)`), one write each; `start_batches` starts the batches."""
    orgs = await orgs_with_queued_runs(session, after_org)
    if not orgs:
        return []
    capacity = await _capacity_left(session, orgs)
    share = math.ceil(limit / len(orgs))
    claim = _Claim(session, now)
    capped = [model for model in scope.slots if scope.served is None or model in scope.served]
    uncapped: list[ColumnElement[bool]] = []
    if scope.served is not None:
        uncapped.append(_runs.c.model_id.in_(scope.served - set(scope.slots)))
    elif scope.slots:
        uncapped.append(_runs.c.model_id.not_in(list(scope.slots)))
    for org in orgs:
        wanted = min(share, limit - len(claim.runs), capacity.get(org, share))
        if wanted > 0:
            await claim.take(org, wanted, uncapped)
    # Models with a per-worker concurrency: at most their free slots, orgs in the same turn.
    for model in capped:
        for org in orgs:
            wanted = min(
                scope.slots[model] - claim.count(model),
                limit - len(claim.runs),
                capacity.get(org, limit) - claim.count(org=org),
            )
            if wanted > 0:
                await claim.take(org, wanted, [_runs.c.model_id == model])
    return claim.runs


# The runs a claim leases, by id: one statement for a chunk (`db/json_rows.py`).
_LEASED = JsonRows("leased", _runs, ("id",))


@functools.cache
def _lease(dialect: str) -> Update:
    leased = _LEASED.source(dialect)
    return (
        update(_runs)
        .where(_runs.c.id == leased.c.id)
        .values(
            status_code=RunStatus.RUNNING,
            attempt=_runs.c.attempt + 1,
            lease_owner=bindparam("worker_id"),
            lease_expires_at=bindparam("lease_expires_at", type_=UTCDateTime()),
            started_at=func.coalesce(_runs.c.started_at, bindparam("now", type_=UTCDateTime())),
        )
    )


async def lease_runs(
    session: AsyncSession,
    runs: Sequence[ClaimedRun],
    *,
    worker_id: str,
    lease: timedelta,
    now: datetime,
) -> None:
    """Claim `runs` (taken by `take_due_runs` in this transaction) for this worker: `running`,
    their attempt counted — the fencing token of every later write — and a lease."""
    if not runs:
        return
    dialect = session.get_bind().dialect.name
    parameters = _LEASED.parameters(dialect, [{"id": run.id} for run in runs])
    await session.execute(
        _lease(dialect),
        {**parameters, "worker_id": worker_id, "lease_expires_at": now + lease, "now": now},
    )


async def start_batches(session: AsyncSession, runs: Sequence[ClaimedRun], now: datetime) -> None:
    """The queued batches of `runs` start running."""
    batch_ids = {run.batch_id for run in runs if run.batch_id is not None}
    if batch_ids:
        await session.execute(
            update(_batches)
            .where(_batches.c.id.in_(batch_ids), _batches.c.status_code == BatchStatus.QUEUED)
            .values(status_code=BatchStatus.RUNNING, started_at=now)
        )


@dataclass
class _Claim:
    """One claim's statements, and the runs they took."""

    session: AsyncSession
    now: datetime
    runs: list[ClaimedRun] = field(default_factory=list)

    def count(self, model: uuid.UUID | None = None, *, org: uuid.UUID | None = None) -> int:
        return sum(
            1
            for run in self.runs
            if (model is None or run.model_id == model) and (org is None or run.org_id == org)
        )

    async def take(
        self, org: uuid.UUID, wanted: int, criteria: Sequence[ColumnElement[bool]]
    ) -> None:
        # Core statements on the tables: the ORM's result handling costs more than the claim.
        due = (
            select(
                _runs.c.id,
                _runs.c.attempt + 1,
                _runs.c.org_id,
                _runs.c.batch_id,
                _runs.c.model_id,
                _runs.c.input,
                # NULL unless an earlier attempt started the run: most runs, and a datetime
                # is dearer to read back than nothing.
                _runs.c.started_at,
                _waited_s(self.now, self.session.get_bind().dialect.name),
            )
            .where(
                status_is(RunStatus.QUEUED),
                _runs.c.org_id == org,
                _runs.c.available_at <= self.now,
                *criteria,
            )
            .order_by(_runs.c.available_at, _runs.c.id)
            .limit(wanted)
        )
        if _is_postgres(self.session):
            due = due.with_for_update(skip_locked=True)
        self.runs.extend(
            ClaimedRun(
                run_id,
                attempt,
                org_id,
                batch_id,
                model_id,
                given,
                started or self.now,
                float(waited or 0),
            )
            for run_id, attempt, org_id, batch_id, model_id, given, started, waited in (
                await self.session.execute(due)
            )
        )


async def renew_leases(
    session: AsyncSession, *, worker_id: str, lease: timedelta, now: datetime
) -> list[uuid.UUID]:
    """Extend this worker's leases; returns its runs whose cancellation was requested."""
    await session.execute(
        update(Run)
        .where(Run.lease_owner == worker_id, status_is(RunStatus.RUNNING))
        .values(lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    cancelled = await session.scalars(
        select(Run.id).where(
            Run.lease_owner == worker_id,
            status_is(RunStatus.RUNNING),
            Run.cancel_requested_at.is_not(None),
        )
    )
    return list(cancelled)


@dataclass(frozen=True)
class ExpiredLease:
    run_id: uuid.UUID
    attempt: int
    started_at: datetime | None
    model_id: uuid.UUID


async def expired_leases(
    session: AsyncSession, now: datetime, limit: int = 500
) -> list[ExpiredLease]:
    """Running runs whose worker stopped renewing its lease (it crashed or hung)."""
    statement = (
        select(Run.id, Run.attempt, Run.started_at, Run.model_id)
        .where(status_is(RunStatus.RUNNING), Run.lease_expires_at < now)
        .limit(limit)
    )
    if _is_postgres(session):
        statement = statement.with_for_update(skip_locked=True)
    return [ExpiredLease(*row) for row in await session.execute(statement)]


async def take_overdue_runs(
    session: AsyncSession,
    *,
    worker_id: str,
    queue_timeouts: Mapping[uuid.UUID, float],
    lease: timedelta,
    now: datetime,
    limit: int = 500,
) -> list[tuple[uuid.UUID, int, uuid.UUID]]:
    """Queued runs that waited longer than their model's `queue_timeout_s` (no worker took
    them), as `(run id, attempt, model id)`. They are taken like a claim — without starting —
    so their `NO_WORKER` failure goes through the same fenced completion as any other ending."""
    overdue: list[tuple[uuid.UUID, int, uuid.UUID]] = []
    for model_id, timeout_s in queue_timeouts.items():
        due = (
            select(_runs.c.id)
            .where(
                status_is(RunStatus.QUEUED),
                _runs.c.model_id == model_id,
                _runs.c.available_at < now - timedelta(seconds=timeout_s),
            )
            .limit(limit - len(overdue))
        )
        if _is_postgres(session):
            due = due.with_for_update(skip_locked=True)
        taken = await session.execute(
            update(_runs)
            .where(_runs.c.id.in_(due.scalar_subquery()))
            .values(
                status_code=RunStatus.RUNNING,
                attempt=_runs.c.attempt + 1,
                lease_owner=worker_id,
                lease_expires_at=now + lease,
            )
            .returning(_runs.c.id, _runs.c.attempt)
        )
        overdue.extend((run_id, attempt, model_id) for run_id, attempt in taken)
        if len(overdue) >= limit:
            break
    return overdue

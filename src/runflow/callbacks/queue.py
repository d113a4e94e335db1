"""The delivery table as a queue: chunked claims with leases, fenced recording of attempts.

A claim takes due `pending` deliveries (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so senders in
many processes never take the same one), increments `attempt_count` — the attempt's number and
its fencing token — and hides the delivery until its lease ends. Recording an attempt applies
only while that number is still the delivery's: a sender whose lease ran out lost the delivery
to another. A lease found expired at claim time means a sender died mid-attempt; that attempt is
put on record as lost before the next one starts. A delivery handed over leased by the outbox
(`callbacks/outbox.py`) that its sender could not start in time is given back: due at once, its
attempt count as before, no attempt on record.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    exists,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from runflow.callbacks.attempt import AttemptResult, Outgoing, Verdict
from runflow.callbacks.models import CallbackAttempt, CallbackDelivery
from runflow.callbacks.outbox import PENDING
from runflow.callbacks.policy import MAX_RETRY_AFTER, RetryPolicy
from runflow.db.json_rows import JsonRows
from runflow.kit.ids import new_id
from runflow.webhooks.health import EndpointHealth, halted_endpoints
from runflow.webhooks.service import endpoint_secrets, signing_secrets

SUCCEEDED = "succeeded"
FAILED = "failed"
LOST_ATTEMPT = "The sender stopped during this attempt; whether the receiver got it is unknown."

_deliveries = cast(Table, CallbackDelivery.__table__)
_attempts = cast(Table, CallbackAttempt.__table__)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """A cheap read before a claim: on SQLite a claim takes the one write lock."""
    due = [
        exists().where(
            CallbackDelivery.status_code == PENDING, lane, CallbackDelivery.next_attempt_at <= now
        )
        for lane in (CALLBACK_LANE, EVENT_LANE)
    ]
    return bool(await session.scalar(select(or_(*due))))


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    org_id: uuid.UUID
    callback_url: str
    payload_bytes: bytes
    attempt_count: int  # counting the attempt this claim is for
    max_attempts: int
    endpoint_id: uuid.UUID | None
    event_id: uuid.UUID | None
    # The lease of an earlier claim, run out: that sender died mid-attempt.
    previous_lease: datetime | None


_CLAIMED = (
    _deliveries.c.id,
    _deliveries.c.org_id,
    _deliveries.c.callback_url,
    _deliveries.c.payload_bytes,
    _deliveries.c.attempt_count,
    _deliveries.c.max_attempts,
    _deliveries.c.endpoint_id,
    _deliveries.c.event_id,
)

# Written into the SQL, not bound: the lanes' partial indexes serve a claim only when its
# condition plainly implies theirs (see `runs.models.status_is`).
_PENDING = _deliveries.c.status_code == literal(PENDING, literal_execute=True)


async def _claim_lane(
    session: AsyncSession, lane: ColumnElement[bool], now: datetime, limit: int, until: datetime
) -> list[_Claimed]:
    """Lease up to `limit` of the lane's due deliveries, the longest due first.

    The due rows are found by a narrow subquery (ids and leases only: sorting whole rows with
    their bodies spilled to disk), and leased and read back by the same statement.
    """
    due = (
        select(_deliveries.c.id, _deliveries.c.lease_expires_at)
        .where(_PENDING, lane, _deliveries.c.next_attempt_at <= now)
        .order_by(_deliveries.c.next_attempt_at)
        .limit(limit)
    )
    lease = update(_deliveries).values(
        attempt_count=_deliveries.c.attempt_count + 1,
        lease_expires_at=until,
        next_attempt_at=until,
        updated_at=now,
    )
    if _is_postgres(session):
        # `SKIP LOCKED`: senders in other processes never take the same delivery.
        found = due.with_for_update(skip_locked=True).subquery()
        statement = lease.where(_deliveries.c.id == found.c.id).returning(
            *_CLAIMED, found.c.lease_expires_at
        )
        return [_Claimed(*row) for row in await session.execute(statement)]
    # SQLite: the transaction holds the one write lock, and its RETURNING cannot name the
    # columns of an UPDATE's FROM, so the earlier leases are read first.
    previous = {id: lease for id, lease in await session.execute(due)}
    if not previous:
        return []
    rows = await session.execute(lease.where(_deliveries.c.id.in_(previous)).returning(*_CLAIMED))
    return [_Claimed(**row._asdict(), previous_lease=previous[row.id]) for row in rows]


# Two lanes, each read through its own partial index: a batch's or a run's callback goes
# first, so a flood of events (a hundred per batch on an endpoint subscribed to `run.*`)
# never holds up the callback its customer is waiting for; events take the rest of a chunk.
CALLBACK_LANE = CallbackDelivery.endpoint_id.is_(None)
EVENT_LANE = CallbackDelivery.endpoint_id.is_not(None)


# A queue table's statistics are always stale, and a prepared statement's generic plan is
# fixed by the statistics of the moment it was made: made while the table was small, it goes
# on reading the whole table once it is large — the claim sorting every due delivery (10 ms
# at 5,000 due, more as events pile up), the recording of a chunk's outcomes hashing every
# delivery there is (60 ms at 14,000). These statements are planned for the values and the
# size at hand instead (a fraction of a millisecond each); the claim then walks the lane's
# index in order and stops at the hundredth (0.1 ms), and the recording finds its deliveries
# by primary key. For the transaction only.
_BY_INDEX = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('enable_bitmapscan', 'off', true)"
)


async def _plan_for_now(session: AsyncSession) -> None:
    if _is_postgres(session):
        await session.execute(_BY_INDEX)


async def claim_due_deliveries(
    session: AsyncSession,
    *,
    limit: int,
    now: datetime,
    lease: timedelta,
    busy: Collection[uuid.UUID] = (),
    events: bool = True,
) -> list[Outgoing]:
    """Up to `limit` due deliveries, leased for an attempt each: callbacks first, then (with
    `events`) endpoints' deliveries, none to the endpoints in `busy` (those already at their
    limit of deliveries in flight in this sender)."""
    until = now + lease
    claimed = await _claim_lane(session, CALLBACK_LANE, now, limit, until)
    if events and len(claimed) < limit:
        await _plan_for_now(session)
        lane = EVENT_LANE if not busy else EVENT_LANE & CallbackDelivery.endpoint_id.not_in(busy)
        claimed += await _claim_lane(session, lane, now, limit - len(claimed), until)
    if not claimed:
        return []

    lost = [row for row in claimed if row.previous_lease is not None]
    if lost:
        await session.execute(
            insert(_attempts),
            [
                {
                    "id": new_id(),
                    "delivery_id": row.id,
                    "attempt_number": row.attempt_count - 1,
                    "error_message": LOST_ATTEMPT,
                    "created_at": now,
                }
                for row in lost
            ],
        )
    exhausted = [row for row in lost if row.attempt_count > row.max_attempts]
    await _give_up(
        session,
        exhausted,
        "RETRIES_EXHAUSTED",
        f"Gave up after the last attempt: {LOST_ATTEMPT}",
        now,
    )
    halted = await halted_endpoints(session, {row.endpoint_id for row in claimed} - {None})
    stopped = [row for row in claimed if row.endpoint_id in halted and row not in exhausted]
    # A disabled or deleted endpoint gets nothing more; `recover` can send it again.
    await _give_up(
        session,
        stopped,
        "ENDPOINT_DISABLED",
        "The endpoint was disabled or deleted before this delivery.",
        now,
    )
    sent = [row for row in claimed if row not in exhausted and row not in stopped]
    if not sent:
        return []
    callbacks = {row.org_id for row in sent if row.endpoint_id is None}
    org_secrets = await signing_secrets(session, callbacks, now) if callbacks else {}
    endpoints = {row.endpoint_id for row in sent if row.endpoint_id is not None}
    own_secrets = await endpoint_secrets(session, endpoints, now) if endpoints else {}
    return [
        Outgoing(
            delivery_id=row.id,
            attempt_number=row.attempt_count,
            callback_url=row.callback_url,
            body=row.payload_bytes,
            secrets=tuple(
                (secret.id, secret.secret)
                for secret in (
                    org_secrets[row.org_id]
                    if row.endpoint_id is None
                    else own_secrets.get(row.endpoint_id, [])
                )
            ),
            max_attempts=row.max_attempts,
            event_id=row.event_id,
            endpoint_id=row.endpoint_id,
        )
        for row in sent
    ]


async def _give_up(
    session: AsyncSession, claimed: Sequence[_Claimed], reason: str, detail: str, now: datetime
) -> None:
    """Fail deliveries this claim took but will not attempt: their attempt count goes back to
    the attempts made."""
    if not claimed:
        return
    await session.execute(
        update(_deliveries)
        .where(_deliveries.c.id.in_([row.id for row in claimed]))
        .values(
            status_code=FAILED,
            failure_reason_code=reason,
            failure_detail=detail,
            attempt_count=_deliveries.c.attempt_count - 1,
            next_attempt_at=None,
            lease_expires_at=None,
            completed_at=now,
            updated_at=now,
        )
    )


# A chunk's attempts and their deliveries' new states travel as one JSON parameter each
# (`db/json_rows.py`): two statements per chunk, whatever its size.
_ATTEMPT_ROWS = JsonRows(
    "attempts",
    _attempts,
    (
        "id",
        "delivery_id",
        "attempt_number",
        "status_code",
        "response_body",
        "response_time_ms",
        "error_message",
        "created_at",
    ),
)
_OUTCOME_ROWS = JsonRows(
    "outcomes",
    _deliveries,
    (
        "id",
        "status_code",
        "attempt_count",
        "next_attempt_at",
        "completed_at",
        "failure_reason_code",
        "failure_detail",
        "signing_secret_id",
        "updated_at",
    ),
)


@functools.cache
def _record_outcomes(dialect: str) -> Update:
    given = _OUTCOME_ROWS.source(dialect)
    return (
        update(_deliveries)
        .where(_deliveries.c.id == given.c.id)
        .values({name: given.c[name] for name in _OUTCOME_ROWS.columns if name != "id"})
        .values(lease_expires_at=None)
    )


def _outcome(
    result: AttemptResult, max_attempts: int, policy: RetryPolicy, now: datetime
) -> dict[str, Any]:
    """The delivery's new state after `result`: done, given up, due again later, or (never
    sent) due now with its attempt count as before the lease."""
    values: dict[str, Any] = {
        "id": result.delivery_id,
        "status_code": PENDING,
        "attempt_count": result.attempt_number,
        "next_attempt_at": None,
        "completed_at": None,
        "failure_reason_code": None,
        "failure_detail": None,
        "signing_secret_id": result.signing_secret_id,
        "updated_at": now,
    }
    if result.verdict is Verdict.UNSENT:
        return values | {"attempt_count": result.attempt_number - 1, "next_attempt_at": now}
    if result.verdict is Verdict.DELIVERED:
        return values | {"status_code": SUCCEEDED, "completed_at": now}
    if result.verdict is Verdict.GIVE_UP:
        return values | {
            "status_code": FAILED,
            "completed_at": now,
            "failure_reason_code": result.reason_code,
            "failure_detail": result.error_message,
        }
    if result.attempt_number >= max_attempts:
        return values | {
            "status_code": FAILED,
            "completed_at": now,
            "failure_reason_code": "RETRIES_EXHAUSTED",
            "failure_detail": f"Gave up after {result.attempt_number} attempts; the last: "
            f"{result.error_message or result.reason_code}.",
        }
    if result.retry_after is not None:
        delay = min(result.retry_after, MAX_RETRY_AFTER)
    else:
        delay = policy.delay_after(result.attempt_number)
    return values | {"next_attempt_at": now + delay}


async def record_attempts(
    session: AsyncSession,
    results: Sequence[AttemptResult],
    policy: RetryPolicy,
    now: datetime,
    health: EndpointHealth | None = None,
) -> int:
    """Write each attempt and its delivery's next state; returns how many the fence let in.
    `health` learns how each endpoint's attempts went (and may disable one)."""
    if not results:
        return 0
    await _plan_for_now(session)
    statement = select(
        CallbackDelivery.id,
        CallbackDelivery.attempt_count,
        CallbackDelivery.max_attempts,
        CallbackDelivery.status_code,
        CallbackDelivery.lease_expires_at,
        CallbackDelivery.endpoint_id,
    ).where(CallbackDelivery.id.in_([result.delivery_id for result in results]))
    if _is_postgres(session):
        statement = statement.with_for_update()
    current = {row[0]: row for row in await session.execute(statement)}
    accepted: list[tuple[AttemptResult, int]] = []
    endpoint_outcomes: list[tuple[uuid.UUID, bool]] = []
    for result in results:
        row = current.get(result.delivery_id)
        if (
            row is not None
            and row.attempt_count == result.attempt_number
            and row.status_code == PENDING
            and row.lease_expires_at is not None
        ):
            accepted.append((result, row.max_attempts))
            if row.endpoint_id is not None and result.verdict is not Verdict.UNSENT:
                delivered = result.verdict is Verdict.DELIVERED
                endpoint_outcomes.append((row.endpoint_id, delivered))
    if not accepted:
        return 0
    dialect = session.get_bind().dialect.name
    attempts = [
        {
            "id": new_id(),
            "delivery_id": result.delivery_id,
            "attempt_number": result.attempt_number,
            "status_code": result.status_code,
            "response_body": result.response_body,
            "response_time_ms": result.response_time_ms,
            "error_message": result.error_message,
            "created_at": result.created_at,
        }
        for result, _ in accepted
        if result.verdict is not Verdict.UNSENT
    ]
    if attempts:
        await session.execute(
            _ATTEMPT_ROWS.insert(dialect), _ATTEMPT_ROWS.parameters(dialect, attempts)
        )
    outcomes = [_outcome(result, max_attempts, policy, now) for result, max_attempts in accepted]
    await session.execute(_record_outcomes(dialect), _OUTCOME_ROWS.parameters(dialect, outcomes))
    if health is not None and endpoint_outcomes:
        await health.observe(session, endpoint_outcomes, now)
    return len(accepted)

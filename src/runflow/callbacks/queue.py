"""The delivery table as a queue: chunked claims with leases, fenced recording of attempts.

A claim takes due `pending` deliveries (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so senders in
many processes never take the same one), increments `attempt_count` — the attempt's number and
its fencing token — and hides the delivery until its lease ends. Recording an attempt applies
only while that number is still the delivery's: a sender whose lease ran out lost the delivery
to another. A lease found expired at claim time means a sender died mid-attempt; that attempt is
put on record as lost before the next one starts.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, exists, insert, or_, select, update
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
class _Due:
    id: uuid.UUID
    org_id: uuid.UUID
    callback_url: str
    payload_bytes: bytes
    attempt_count: int
    max_attempts: int
    lease_expires_at: datetime | None
    endpoint_id: uuid.UUID | None
    event_id: uuid.UUID | None


def _due_in(
    lane: ColumnElement[bool], now: datetime, limit: int, postgres: bool
) -> Select[*tuple[Any, ...]]:
    statement = (
        select(
            CallbackDelivery.id,
            CallbackDelivery.org_id,
            CallbackDelivery.callback_url,
            CallbackDelivery.payload_bytes,
            CallbackDelivery.attempt_count,
            CallbackDelivery.max_attempts,
            CallbackDelivery.lease_expires_at,
            CallbackDelivery.endpoint_id,
            CallbackDelivery.event_id,
        )
        .where(
            CallbackDelivery.status_code == PENDING,
            lane,
            CallbackDelivery.next_attempt_at <= now,
        )
        .order_by(CallbackDelivery.next_attempt_at)
        .limit(limit)
    )
    return statement.with_for_update(skip_locked=True) if postgres else statement


# Two lanes, each read through its own partial index: a batch's or a run's callback goes
# first, so a flood of events (a hundred per batch on an endpoint subscribed to `run.*`)
# never holds up the callback its customer is waiting for; events take the rest of a chunk.
CALLBACK_LANE = CallbackDelivery.endpoint_id.is_(None)
EVENT_LANE = CallbackDelivery.endpoint_id.is_not(None)


async def claim_due_deliveries(
    session: AsyncSession,
    *,
    limit: int,
    now: datetime,
    lease: timedelta,
    busy: Collection[uuid.UUID] = (),
) -> list[Outgoing]:
    """Up to `limit` due deliveries, leased for an attempt each; none of the endpoints in
    `busy` (those already at their limit of deliveries in flight in this sender)."""
    postgres = _is_postgres(session)
    rows = list(await session.execute(_due_in(CALLBACK_LANE, now, limit, postgres)))
    if len(rows) < limit:
        lane = EVENT_LANE if not busy else EVENT_LANE & CallbackDelivery.endpoint_id.not_in(busy)
        rows += await session.execute(_due_in(lane, now, limit - len(rows), postgres))
    due = [_Due(*row) for row in rows]
    if not due:
        return []

    lost = [row for row in due if row.lease_expires_at is not None]
    if lost:
        await session.execute(
            insert(_attempts),
            [
                {
                    "id": new_id(),
                    "delivery_id": row.id,
                    "attempt_number": row.attempt_count,
                    "error_message": LOST_ATTEMPT,
                    "created_at": now,
                }
                for row in lost
            ],
        )
    exhausted = [row for row in lost if row.attempt_count >= row.max_attempts]
    if exhausted:
        await session.execute(
            update(CallbackDelivery)
            .where(CallbackDelivery.id.in_([row.id for row in exhausted]))
            .values(
                status_code=FAILED,
                failure_reason_code="RETRIES_EXHAUSTED",
                failure_detail=f"Gave up after the last attempt: {LOST_ATTEMPT}",
                next_attempt_at=None,
                lease_expires_at=None,
                completed_at=now,
                updated_at=now,
            )
        )
    halted = await halted_endpoints(session, {row.endpoint_id for row in due} - {None})
    stopped = [row for row in due if row.endpoint_id in halted and row not in exhausted]
    if stopped:
        # A disabled or deleted endpoint gets nothing more; `recover` can send it again.
        await session.execute(
            update(CallbackDelivery)
            .where(CallbackDelivery.id.in_([row.id for row in stopped]))
            .values(
                status_code=FAILED,
                failure_reason_code="ENDPOINT_DISABLED",
                failure_detail="The endpoint was disabled or deleted before this delivery.",
                next_attempt_at=None,
                lease_expires_at=None,
                completed_at=now,
                updated_at=now,
            )
        )
    claimed = [row for row in due if row not in exhausted and row not in stopped]
    if not claimed:
        return []
    until = now + lease
    await session.execute(
        update(CallbackDelivery)
        .where(CallbackDelivery.id.in_([row.id for row in claimed]))
        .values(
            attempt_count=CallbackDelivery.attempt_count + 1,
            lease_expires_at=until,
            next_attempt_at=until,
            updated_at=now,
        )
    )
    callbacks = {row.org_id for row in claimed if row.endpoint_id is None}
    org_secrets = await signing_secrets(session, callbacks, now) if callbacks else {}
    endpoints = {row.endpoint_id for row in claimed if row.endpoint_id is not None}
    own_secrets = await endpoint_secrets(session, endpoints, now) if endpoints else {}
    return [
        Outgoing(
            delivery_id=row.id,
            attempt_number=row.attempt_count + 1,
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
            event_id=row.event_id,
            endpoint_id=row.endpoint_id,
        )
        for row in claimed
    ]


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
    """The delivery's new state after `result`: done, given up, or due again later."""
    values: dict[str, Any] = {
        "id": result.delivery_id,
        "status_code": PENDING,
        "next_attempt_at": None,
        "completed_at": None,
        "failure_reason_code": None,
        "failure_detail": None,
        "signing_secret_id": result.signing_secret_id,
        "updated_at": now,
    }
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
            if row.endpoint_id is not None:
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
    ]
    await session.execute(
        _ATTEMPT_ROWS.insert(dialect), _ATTEMPT_ROWS.parameters(dialect, attempts)
    )
    outcomes = [_outcome(result, max_attempts, policy, now) for result, max_attempts in accepted]
    await session.execute(_record_outcomes(dialect), _OUTCOME_ROWS.parameters(dialect, outcomes))
    if health is not None and endpoint_outcomes:
        await health.observe(session, endpoint_outcomes, now)
    return len(accepted)

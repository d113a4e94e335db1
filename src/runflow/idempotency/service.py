"""Run a creating request at most once per `(org, Idempotency-Key)` within 24 hours.

The key row is written in the same transaction as what the request creates. Two concurrent
requests with one key: the second blocks on the unique index until the first commits, then
its savepoint is rolled back and it replays the first one's stored response.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.errors import Conflict
from runflow.idempotency.models import IdempotencyRecord
from runflow.kit.clock import utcnow

RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def _find(session: AsyncSession, org_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.org_id == org_id, IdempotencyRecord.key == key
        )
    )
    if record is not None and record.created_at < utcnow() - RETENTION:
        await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        return None
    return record


def _replay(record: IdempotencyRecord, request_fingerprint: str) -> StoredResponse:
    if record.request_fingerprint != request_fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )
    return StoredResponse(record.response_status, record.response_body, replayed=True)


async def run_once(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    key: str | None,
    fingerprint_request: Callable[[], str],
    create: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
) -> StoredResponse:
    """`create()` once per key; later calls with the same key get its stored response.
    `fingerprint_request` is called only when there is a key to compare requests under."""
    if key is None:
        status_code, body = await create()
        return StoredResponse(status_code, body, replayed=False)
    request_fingerprint = fingerprint_request()

    existing = await _find(session, org_id, key)
    if existing is not None:
        return _replay(existing, request_fingerprint)
    try:
        async with session.begin_nested():
            status_code, body = await create()
            session.add(
                IdempotencyRecord(
                    org_id=org_id,
                    key=key,
                    request_fingerprint=request_fingerprint,
                    response_status=status_code,
                    response_body=body,
                )
            )
            await session.flush()
    except IntegrityError:
        winner = await _find(session, org_id, key)
        if winner is None:
            raise
        return _replay(winner, request_fingerprint)
    return StoredResponse(status_code, body, replayed=False)

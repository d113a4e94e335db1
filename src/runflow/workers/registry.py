"""Workers record themselves, heartbeat, and leave; readers ask which are alive.

A worker is alive while its `last_seen_at` is within the lease (`RUNFLOW_LEASE_S`): past it,
its runs' leases have expired too and the reaper re-queues them, so "alive" means the same
thing to the catalog and to the queue.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.workers.models import Worker
from runflow.workers.patterns import ModelPatterns

# A worker gone this long is forgotten (a crash leaves its row behind).
FORGET_AFTER = timedelta(days=1)


async def register_worker(
    session: AsyncSession,
    worker_id: str,
    patterns: ModelPatterns,
    concurrency: int,
    now: datetime,
) -> None:
    session.add(
        Worker(
            id=worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            models=list(patterns.patterns),
            concurrency=concurrency,
            in_flight=0,
            started_at=now,
            last_seen_at=now,
        )
    )
    await session.flush()


async def heartbeat_worker(
    session: AsyncSession, worker_id: str, in_flight: int, now: datetime
) -> bool:
    """Renew the worker's row; False when it has none (forgotten, or the database reset)."""
    renewed = await session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(in_flight=in_flight, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(renewed.rowcount)  # type: ignore[attr-defined]


async def deregister_worker(session: AsyncSession, worker_id: str) -> None:
    await session.execute(delete(Worker).where(Worker.id == worker_id))


async def forget_gone_workers(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(Worker).where(Worker.last_seen_at < now - FORGET_AFTER))


async def list_workers(session: AsyncSession) -> Sequence[Worker]:
    return (await session.scalars(select(Worker).order_by(Worker.started_at))).all()


async def live_model_patterns(
    session: AsyncSession, now: datetime, alive_within: timedelta
) -> list[ModelPatterns]:
    """The `--models` patterns of every live worker."""
    rows = await session.scalars(
        select(Worker.models).where(Worker.last_seen_at >= now - alive_within)
    )
    return [ModelPatterns(tuple(models)) for models in rows]

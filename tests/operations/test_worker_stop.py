"""SIGTERM to a `runflow worker` (DESIGN §20): it exits 0 within the grace, its running runs
are back in the queue with no lease, and another worker — whose lease is ten minutes, so it
could not be waiting one out — finishes them: nothing lost, each run ended once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.runs.models import Run
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.engine.workers import WorkerProcess
from tests.operations.test_graceful_stop import EXIT_DEADLINE_S, SLOW_MS

WORKER = {"worker_concurrency": 8, "lease_s": 600, "shutdown_grace_s": 1}


async def test_a_stopped_workers_runs_go_to_the_next_worker_at_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    tmp_path: Path,
) -> None:
    items: list[dict[str, Any]] = [{"message": f"quick {n}"} for n in range(4)]
    items += [{"message": f"slow {n}", "delay_ms": SLOW_MS} for n in range(4)]
    created = await create_batch(client, auth, items)
    url = settings.resolved_database_url
    first = WorkerProcess(url, tmp_path, tmp_path / "first.log", **WORKER)
    try:

        async def slow_ones_running() -> bool:
            async with database.transaction(write=False) as session:
                states = sorted(await session.scalars(select(Run.status_code)))
            return states == ["running"] * 4 + ["succeeded"] * 4

        await eventually(slow_ones_running, timeout_s=120)
        first.process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(first.process.wait, EXIT_DEADLINE_S)
    except subprocess.TimeoutExpired:
        first.kill()
        raise
    finally:
        first.stop()
    assert exit_code == 0
    assert first.events("dispatcher_stopped")

    async with database.transaction(write=False) as session:
        rows = (
            await session.execute(
                select(Run.status_code, Run.lease_owner, Run.available_at, Run.attempt).where(
                    Run.status_code != "succeeded"
                )
            )
        ).all()
    assert len(rows) == 4
    for status, lease_owner, available_at, attempt in rows:
        assert (status, lease_owner, attempt) == ("queued", None, 1)
        assert available_at is not None
        assert available_at <= utcnow()  # due at once

    with WorkerProcess(url, tmp_path, tmp_path / "second.log", **WORKER) as second:
        batch = await terminal_batch(client, auth, created["id"], timeout_s=300)
    assert batch["status_code"] == "succeeded"
    assert [entry["output"] for entry in batch["output"]["items"]] == [
        {"message": item["message"]} for item in items
    ]
    finished = first.events("batch_finished") + second.events("batch_finished")
    assert [record["batch_id"] for record in finished] == [created["id"]]

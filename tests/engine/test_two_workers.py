"""Two worker processes on one PostgreSQL never execute the same attempt of a run twice.

PostgreSQL only: it is the distributed engine; SQLite deployments run one dispatcher."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from runflow.config import Settings
from tests.engine.polling import create_batch, terminal_batch
from tests.engine.workers import WorkerProcess


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_share_a_thousand_items_without_duplicates(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    batches = [
        await create_batch(client, auth, [{"message": f"{b}-{i}"} for i in range(100)])
        for b in range(10)
    ]
    url = settings.resolved_database_url
    workers = [
        WorkerProcess(url, tmp_path, tmp_path / f"worker-{n}.log", worker_concurrency=32)
        for n in range(2)
    ]
    try:
        finished = [await terminal_batch(client, auth, b["id"], timeout_s=90) for b in batches]
    finally:
        for worker in workers:
            worker.stop()

    assert {batch["status_code"] for batch in finished} == {"succeeded"}
    assert sum(batch["items_succeeded"] for batch in finished) == 1000
    executions = Counter(
        (record["run_id"], record["attempt"])
        for worker in workers
        for record in worker.events("run_started")
    )
    assert len(executions) == 1000
    assert max(executions.values()) == 1
    batch_ends = Counter(
        record["batch_id"] for worker in workers for record in worker.events("batch_finished")
    )
    assert batch_ends == Counter({batch["id"]: 1 for batch in batches})

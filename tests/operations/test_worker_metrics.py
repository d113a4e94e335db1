"""A `runflow worker` with no API beside it serves its own `/metrics` (DESIGN §20) on
`RUNFLOW_WORKER_METRICS_PORT`: its runs counted and timed, the queue's depth, the metrics token
asked for, and nothing else on that port; SIGTERM still stops it gracefully."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx

from runflow.config import Settings
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.engine.workers import WorkerProcess
from tests.metrics.test_metrics import scrape, value
from tests.served import free_port

TOKEN = "scrape-me"


async def test_a_lone_worker_serves_its_own_metrics(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    items: list[dict[str, Any]] = [{"message": str(n), "fail": n == 0} for n in range(3)]
    created = await create_batch(client, auth, items)
    port = free_port()
    worker = WorkerProcess(
        settings.resolved_database_url,
        tmp_path,
        tmp_path / "worker.log",
        worker_concurrency=4,
        worker_metrics_port=port,
        metrics_token=TOKEN,
    )
    try:
        await terminal_batch(client, auth, created["id"], timeout_s=120)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as metrics:

            async def counted() -> dict[Any, float] | None:
                samples = await scrape(metrics, Authorization=f"Bearer {TOKEN}")
                name = "runflow_runs_finished_total"
                done = value(samples, name, model="runflow/echo", status="succeeded")
                return samples if done == 2 else None

            samples = await eventually(counted, timeout_s=30)
            refused = await metrics.get("/metrics", headers={"X-Request-Id": "scrape-1"})
            elsewhere = await metrics.get("/v1/batches", headers=auth)

        echo = {"model": "runflow/echo"}
        assert value(samples, "runflow_runs_finished_total", status="failed", **echo) == 1
        assert value(samples, "runflow_run_duration_seconds_count", **echo) == 3
        assert value(samples, "runflow_runs_queued", **echo) == 0
        assert refused.status_code == 401
        assert refused.json()["code"] == "UNAUTHORIZED"
        assert elsewhere.status_code == 404  # the worker serves no API
        # Every answer carries X-Request-Id, the caller's when it sent one (DESIGN §20).
        assert refused.headers["X-Request-Id"] == "scrape-1"
        assert elsewhere.headers["X-Request-Id"]

        worker.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.process.wait, 60) == 0
        assert worker.events("worker_metrics_serving")[0]["port"] == port
    finally:
        worker.stop()

"""Latency of `POST /v1/models/runflow/echo/batches` with 100 items, 20 concurrent clients.

Prints p50 / p99 / max (DESIGN §12 target: ≤ 25 ms / ≤ 100 ms on a 2-core machine).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.echo_batches import drop_postgres_database, fresh_postgres_database
from bench.processes import free_port, start, stop, wait_ready

CLIENTS = 20
POSTS_PER_CLIENT = 25
KEY = "rf_bench_" + uuid.uuid4().hex


async def measure(base_url: str) -> list[float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"input": [{"message": f"item {i}"} for i in range(100)]}
    latencies: list[float] = []
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=httpx.Limits(max_connections=CLIENTS)
    ) as client:

        async def one_client() -> None:
            for _ in range(POSTS_PER_CLIENT):
                started = time.perf_counter()
                response = await client.post("/v1/models/runflow/echo/batches", json=body)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return latencies


def main(mode: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="runflow-bench-"))
    port = free_port()
    env = {
        "RUNFLOW_DATA_DIR": str(data_dir),
        "RUNFLOW_BOOTSTRAP_API_KEY": KEY,
        "RUNFLOW_LOG_LEVEL": "WARNING",
        "RUNFLOW_PORT": str(port),
    }
    processes: list[subprocess.Popen[bytes]] = []
    if mode == "postgres":
        env["RUNFLOW_DATABASE_URL"] = asyncio.run(fresh_postgres_database())
        start(["migrate"], env, data_dir / "migrate.log").wait()
        processes.append(start(["worker"], env, data_dir / "worker.log"))
        env["RUNFLOW_WORKER_CONCURRENCY"] = "0"
    processes.append(start(["serve"], env, data_dir / "serve.log"))
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        latencies = sorted(asyncio.run(measure(f"http://127.0.0.1:{port}")))
    finally:
        for process in processes:
            stop(process)
        if mode == "postgres":
            asyncio.run(drop_postgres_database(env["RUNFLOW_DATABASE_URL"]))
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{mode}: {len(latencies)} POSTs of 100 items, {CLIENTS} clients: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")

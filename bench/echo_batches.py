"""10,000 `echo` items, 100 batches × 100 created over real HTTP, until every batch is terminal.

Prints wall time, throughput and CPU per item of the Runflow processes (DESIGN §12 targets:
≤ 2 s on SQLite, ≤ 3 s on PostgreSQL with 1 API + 1 worker, ≤ 250 µs CPU per item).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from bench.processes import cpu_seconds, free_port, start, stop, wait_ready

BATCHES = 100
ITEMS = 100
CLIENTS = 8
KEY = "rf_bench_" + uuid.uuid4().hex
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


async def drive(base_url: str) -> float:
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"input": [{"message": f"item {i}"} for i in range(ITEMS)]}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(BATCHES):
            queue.put_nowait(n)
        ids: list[str] = []

        async def poster() -> None:
            while not queue.empty():
                queue.get_nowait()
                response = await client.post("/v1/models/runflow/echo/batches", json=body)
                response.raise_for_status()
                ids.append(response.json()["id"])

        started = time.perf_counter()
        await asyncio.gather(*(poster() for _ in range(CLIENTS)))
        posted = time.perf_counter() - started
        pending = set(ids)
        while pending:
            page = (await client.get("/v1/batches", params={"limit": 100})).json()["items"]
            pending -= {b["id"] for b in page if b["status_code"] not in ("queued", "running")}
            if pending:
                await asyncio.sleep(0.25)
        elapsed = time.perf_counter() - started
        print(f"  created {BATCHES} batches in {posted:.2f} s")
        return elapsed


async def drop_postgres_database(url: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await connection.close()


async def fresh_postgres_database() -> str:
    name = f"runflow_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def main(mode: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="runflow-bench-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
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
        processes.append(
            start(["serve"], {**env, "RUNFLOW_WORKER_CONCURRENCY": "0"}, data_dir / "api.log")
        )
        processes.append(start(["worker"], env, data_dir / "worker.log"))
    else:
        processes.append(start(["serve"], env, data_dir / "serve.log"))
    try:
        wait_ready(base_url)
        time.sleep(1.0)  # let the worker finish starting too
        cpu_before = [cpu_seconds(p.pid) for p in processes]
        elapsed = asyncio.run(drive(base_url))
        cpu_each = [
            cpu_seconds(p.pid) - before for p, before in zip(processes, cpu_before, strict=True)
        ]
        cpu = sum(cpu_each)
    finally:
        for process in processes:
            stop(process)
        if mode == "postgres":
            asyncio.run(drop_postgres_database(env["RUNFLOW_DATABASE_URL"]))
    total = BATCHES * ITEMS
    print(f"{mode}: {total} echo items in {elapsed:.2f} s ({total / elapsed:,.0f} items/s)")
    print(f"  Runflow CPU {cpu:.2f} s = {cpu / total * 1e6:,.0f} µs per item")
    if len(cpu_each) > 1:
        print(f"  API {cpu_each[0]:.2f} s CPU, worker {cpu_each[1]:.2f} s CPU")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")

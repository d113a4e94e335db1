"""10,000 `echo` items, 100 batches × 100 created over real HTTP, until every batch is terminal.

Prints wall time, throughput and CPU per item of the Runflow processes (DESIGN §12 targets:
≤ 2 s on SQLite, ≤ 3 s on PostgreSQL with 1 API + 1 worker, ≤ 250 µs CPU per item).
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from bench.deployment import deployment
from bench.processes import cpu_seconds

BATCHES = 100
ITEMS = 100
CLIENTS = 8


async def drive(base_url: str, api_key: str) -> float:
    headers = {"Authorization": f"Bearer {api_key}"}
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


def main(mode: str) -> None:
    with deployment(mode) as running:
        time.sleep(1.0)  # let the worker finish starting too
        cpu_before = [cpu_seconds(p.pid) for p in running.processes]
        elapsed = asyncio.run(drive(running.base_url, running.api_key))
        cpu_each = [
            cpu_seconds(p.pid) - before
            for p, before in zip(running.processes, cpu_before, strict=True)
        ]
    cpu = sum(cpu_each)
    total = BATCHES * ITEMS
    print(f"{mode}: {total} echo items in {elapsed:.2f} s ({total / elapsed:,.0f} items/s)")
    print(f"  Runflow CPU {cpu:.2f} s = {cpu / total * 1e6:,.0f} µs per item")
    if len(cpu_each) > 1:
        print(f"  API {cpu_each[0]:.2f} s CPU, worker {cpu_each[1]:.2f} s CPU")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")

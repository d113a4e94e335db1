"""10,000 `echo` items, 100 batches × 100 created over real HTTP, until all 100 callbacks arrived.

DESIGN §12 measures to the last callback received; the batches end a moment before (the
receiver reports how long after its batch ended each callback came). Prints wall time,
throughput and CPU per item of the Runflow processes (targets: ≤ 2 s on SQLite, ≤ 3 s on
PostgreSQL with 1 API + 1 worker, ≤ 250 µs CPU per item).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx

from bench.deployment import deployment
from bench.processes import cpu_seconds
from bench.receiver import CallbackReceiver

BATCHES = 100
ITEMS = 100
CLIENTS = 8


async def drive(base_url: str, api_key: str, receiver: CallbackReceiver) -> tuple[float, float]:
    """Create the batches; returns when the last callback arrived: (start, creation time)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    inputs = [{"message": f"item {i}"} for i in range(ITEMS)]
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        numbers = iter(range(BATCHES))

        async def poster() -> None:
            for n in numbers:
                body = {"input": inputs, "callback_url": receiver.url(f"batch/{n}")}
                response = await client.post("/v1/models/runflow/echo/batches", json=body)
                response.raise_for_status()

        started = time.time()
        await asyncio.gather(*(poster() for _ in range(CLIENTS)))
        posted = time.time() - started
        if not await asyncio.to_thread(receiver.all_arrived.wait, 300):
            raise RuntimeError(f"only {len(receiver.arrivals)} callbacks arrived")
        return started, posted


def main(mode: str) -> None:
    receiver = CallbackReceiver(expected=BATCHES)
    receiver.serve_in_thread()
    with deployment(mode, {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8"}) as running:
        time.sleep(1.0)  # let the worker finish starting too
        cpu_before = [cpu_seconds(p.pid) for p in running.processes]
        started, posted = asyncio.run(drive(running.base_url, running.api_key, receiver))
        cpu_each = [
            cpu_seconds(p.pid) - before
            for p, before in zip(running.processes, cpu_before, strict=True)
        ]
    elapsed = max(receiver.arrivals.values()) - started
    cpu = sum(cpu_each)
    total = BATCHES * ITEMS
    delay = statistics.median(receiver.delays)
    print(f"{mode}: {total} echo items in {elapsed:.2f} s ({total / elapsed:,.0f} items/s)")
    print(f"  created {BATCHES} batches in {posted:.2f} s; callback p50 {delay * 1000:.0f} ms")
    print(f"  after its batch ended; Runflow CPU {cpu:.2f} s, {cpu / total * 1e6:,.0f} µs per item")
    if len(cpu_each) > 1:
        print(f"  API {cpu_each[0]:.2f} s CPU, worker {cpu_each[1]:.2f} s CPU")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")

"""1,000 batches with callbacks to a local receiver, one receiver in ten hanging until the
callback timeout: delivered callbacks per second, and the delay healthy receivers saw between
their batch ending (`completed_at` in the payload) and the callback arriving.

The receiver runs in a thread of this process (`bench/receiver.py`); hanging endpoints answer
only after 60 s, so each of their attempts ends at `RUNFLOW_CALLBACK_TIMEOUT_S`.
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

BATCHES = 1000
HANGING_EVERY = 10
TIMEOUT_S = 5
CLIENTS = 8


async def drive(base_url: str, api_key: str, receiver: CallbackReceiver) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        numbers = iter(range(BATCHES))

        async def poster() -> None:
            for n in numbers:
                kind = "hang" if n % HANGING_EVERY == 0 else "ok"
                url = receiver.url(f"{kind}/{n}")
                body = {"input": [{"message": str(n)}], "callback_url": url}
                response = await client.post("/v1/models/runflow/echo/batches", json=body)
                response.raise_for_status()

        started = time.time()
        await asyncio.gather(*(poster() for _ in range(CLIENTS)))
        posted = time.time() - started
        if not await asyncio.to_thread(receiver.all_arrived.wait, 600):
            raise RuntimeError(f"only {len(receiver.arrivals)} healthy callbacks arrived")
        return started, posted


def main(mode: str) -> None:
    receiver = CallbackReceiver(expected=BATCHES - BATCHES // HANGING_EVERY)
    receiver.serve_in_thread()
    settings = {
        "RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8",
        "RUNFLOW_CALLBACK_TIMEOUT_S": str(TIMEOUT_S),
    }
    with deployment(mode, settings) as running:
        time.sleep(1.0)
        cpu_before = [cpu_seconds(p.pid) for p in running.processes]
        started, posted = asyncio.run(drive(running.base_url, running.api_key, receiver))
        cpu = sum(
            cpu_seconds(p.pid) - before
            for p, before in zip(running.processes, cpu_before, strict=True)
        )
    arrivals = sorted(receiver.arrivals.values())
    span = arrivals[-1] - started
    delays = sorted(receiver.delays)
    p50 = statistics.median(delays)
    p99 = delays[int(len(delays) * 0.99) - 1]
    print(
        f"{mode}: {BATCHES} batches, 1 receiver in {HANGING_EVERY} hanging ({TIMEOUT_S} s timeout)"
    )
    print(f"  created in {posted:.2f} s; {len(arrivals)} healthy callbacks by {span:.2f} s")
    rate = len(arrivals) / span
    print(f"  delivered {rate:,.0f} healthy callbacks/s; hanging attempts: {receiver.hung}")
    print(
        f"  healthy receivers' delay after batch end: p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
    )
    print(f"  Runflow CPU {cpu:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")

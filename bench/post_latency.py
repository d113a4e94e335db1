"""Latency of `POST /v1/models/runflow/echo/batches` with 100 items, 20 concurrent clients.

Prints p50 / p99 / max and the POSTs answered per second, after a warm-up round (DESIGN §12
target: ≤ 25 ms / ≤ 100 ms on a 2-core machine).

    python -m bench.post_latency [sqlite|postgres] [HTTP processes, PostgreSQL only] [--api-only]

By default the engine runs the created items meanwhile, as in production; `--api-only` starts
none, which measures the create path alone.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx

from bench.deployment import deployment

CLIENTS = 20
POSTS_PER_CLIENT = 25


async def measure(base_url: str, api_key: str) -> list[float]:
    headers = {"Authorization": f"Bearer {api_key}"}
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


def main(mode: str, http_processes: int, engine: bool) -> None:
    with deployment(mode, http_processes=http_processes, engine=engine) as running:
        asyncio.run(measure(running.base_url, running.api_key))  # warm every process up
        started = time.perf_counter()
        latencies = sorted(asyncio.run(measure(running.base_url, running.api_key)))
        elapsed = time.perf_counter() - started
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{mode}, {http_processes} HTTP process(es), {'with' if engine else 'no'} engine: "
        f"{len(latencies)} POSTs of 100 items, "
        f"{CLIENTS} clients: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} "
        f"ms; {len(latencies) / elapsed:.0f} POSTs/s"
    )


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--api-only"]
    main(
        arguments[0] if arguments else "sqlite",
        int(arguments[1]) if len(arguments) > 1 else 1,
        engine="--api-only" not in sys.argv,
    )

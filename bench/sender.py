"""The delivery sender alone: N pending event deliveries to one endpoint, one `runflow worker`
with nothing else to do, and how fast and at what CPU it delivers them.

The deliveries are written straight into the table (copies of one `webhook.test` delivery the
API queued, each with a 1.5 KB body like a `run.succeeded` event's and an event id each), so only
the sender's own work is measured: claims, signing, POSTs, recording attempts. The receiver
answers 204 from a thread of this process; the CPU is the worker's, from /proc.

    python -m bench.sender sqlite|postgres [--deliveries N] [--rounds R] [--baseline-src DIR]

`--baseline-src` runs the worker from another checkout's `src/` in alternate rounds (A/B).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
from pathlib import Path

import asyncpg
import httpx

from bench.deployment import Deployment, deployment
from bench.event_receiver import EventReceiver
from bench.processes import cpu_seconds, postgres_cpu_seconds, start, stop
from bench.webhooks import subscribe

BODY = b'{"type":"run.succeeded","data":{"padding":"' + b"x" * 1500 + b'"}}'
COPIED = (
    "org_id, endpoint_id, event_type, callback_url, is_automatic, status_code, "
    "attempt_count, max_attempts, next_attempt_at, created_at, updated_at"
)


def _copy_sql(new_id: str, placeholder: str, copies: str) -> str:
    return (
        f"INSERT INTO callback_deliveries (id, event_id, payload_bytes, {COPIED}) "
        f"SELECT {new_id}, {new_id}, {placeholder}, {COPIED} "
        f"FROM callback_deliveries, {copies}"
    )


async def _fill_postgres(url: str, n: int) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with connection.transaction():
            await connection.execute(
                _copy_sql("gen_random_uuid()", "$1", f"generate_series(1, {n - 1})"), BODY
            )
    finally:
        await connection.close()


def _fill_sqlite(path: Path, n: int) -> None:
    copies = (
        "(WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c "
        f"WHERE k < {n - 1}) SELECT k FROM c)"
    )
    with sqlite3.connect(path) as connection:
        connection.execute(_copy_sql("lower(hex(randomblob(16)))", "?", copies), (BODY,))


def _queue(running: Deployment, receiver: EventReceiver, n: int) -> None:
    """N pending deliveries to `receiver`: the API queues one, the bench copies it."""
    endpoint_id = subscribe(running.base_url, running.api_key, receiver.url())
    httpx.post(
        f"{running.base_url}/v1/webhooks/endpoints/{endpoint_id}/test",
        headers={"Authorization": f"Bearer {running.api_key}"},
    ).raise_for_status()
    url = running.env.get("RUNFLOW_DATABASE_URL")
    if url is not None:
        asyncio.run(_fill_postgres(url, n))
    else:
        _fill_sqlite(Path(running.env["RUNFLOW_DATA_DIR"]) / "runflow.db", n)


def one_round(mode: str, n: int, src: str | None) -> tuple[float, float, float]:
    """Deliveries per second, and µs of CPU per delivery of the worker and of PostgreSQL's
    processes (0 on SQLite), from the first arrival to the last."""
    receiver = EventReceiver()
    receiver.start()
    settings = {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8"}
    if src is not None:
        settings["PYTHONPATH"] = src
    try:
        with deployment(mode, settings, engine=False) as running:
            _queue(running, receiver, n)
            data_dir = Path(running.env["RUNFLOW_DATA_DIR"])
            worker = start(["worker"], running.env | settings, data_dir / "sender.log")
            try:
                first = receiver.first_arrival(60)
                cpu_first = cpu_seconds(worker.pid)
                database_first = postgres_cpu_seconds() if mode == "postgres" else 0.0
                arrived = receiver.wait_for(n, 600)
                cpu_last = cpu_seconds(worker.pid)
                database_last = postgres_cpu_seconds() if mode == "postgres" else 0.0
                last = max(arrived.times)
            finally:
                stop(worker)
    finally:
        receiver.stop()
    per_delivery = 1e6 / (n - 1)
    return (
        (n - 1) / (last - first),
        (cpu_last - cpu_first) * per_delivery,
        (database_last - database_first) * per_delivery,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("sqlite", "postgres"))
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-src", help="src/ of a checkout to measure alongside")
    arguments = parser.parse_args()
    systems: dict[str, str | None] = {"runflow": None}
    if arguments.baseline_src:
        systems["baseline"] = arguments.baseline_src
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in systems}
    for round_number in range(1, arguments.rounds + 1):
        for name, src in systems.items():
            figures = one_round(arguments.mode, arguments.deliveries, src)
            results[name].append(figures)
            print(f"round {round_number}  {name:<9} " + _line(*figures), flush=True)
    print(f"{arguments.mode}, {arguments.deliveries:,} deliveries, medians of {arguments.rounds}:")
    for name, rounds in results.items():
        medians = (statistics.median(figures[k] for figures in rounds) for k in range(3))
        print(f"  {name:<9} " + _line(*medians))


def _line(rate: float, worker_us: float, database_us: float) -> str:
    line = f"{rate:7,.0f} deliveries/s   CPU per delivery: worker {worker_us:4.0f} µs"
    return line + (f", PostgreSQL {database_us:4.0f} µs" if database_us else "")


if __name__ == "__main__":
    main()

"""S1 side by side (DESIGN §12, issue 21): bare asyncio, Celery + Redis chords, Runflow on
SQLite and Runflow on PostgreSQL (1 API + 1 worker), in interleaved rounds with the same
callback receiver and clock; prints each system's median and the ratios the targets use.

S1: 10,000 `echo` items, 100 batches × 100, each batch with a callback URL, timed from the
first create to the last of the 100 callbacks received. Runflow's batches are created over
HTTP by 8 clients; Celery's chords are published by 8 threads; bare asyncio runs a task per
item and POSTs each batch's callback — the limit on this machine.

    python -m bench.s1_compare [--rounds N] [--systems a,b] [--baseline-src DIR]

`--baseline-src` adds Runflow from the `src/` of another checkout (A/B in the same run).

Needs Redis on 127.0.0.1:6379 (database 15 is flushed) and PostgreSQL as `bench.deployment`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.deployment import deployment
from bench.echo_batches import BATCHES, CLIENTS, ITEMS, drive
from bench.processes import cpu_seconds
from bench.receiver import CallbackReceiver

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def _wait(receiver: CallbackReceiver) -> float:
    if not receiver.all_arrived.wait(600):
        raise RuntimeError(f"only {len(receiver.arrivals)} callbacks arrived")
    return max(receiver.arrivals.values())


def bare_asyncio(receiver: CallbackReceiver) -> tuple[float, float | None]:
    async def run() -> float:
        async with httpx.AsyncClient(timeout=30) as client:

            async def item(message: str) -> dict[str, str]:
                return {"message": message}

            async def batch(n: int) -> None:
                tasks = [asyncio.create_task(item(f"item {i}")) for i in range(ITEMS)]
                outputs = await asyncio.gather(*tasks)
                body = {
                    "batch_id": str(n),
                    "status": "succeeded",
                    "output": {"items": outputs},
                    "completed_at": datetime.now(UTC).isoformat(),
                }
                (await client.post(receiver.url(f"batch/{n}"), json=body)).raise_for_status()

            started = time.time()
            await asyncio.gather(*(batch(n) for n in range(BATCHES)))
            return started

    started = asyncio.run(run())
    return _wait(receiver) - started, None


def celery_chords(receiver: CallbackReceiver) -> tuple[float, float | None]:
    from celery import chord

    from bench.s1_celery import callback, echo

    def publish(n: int) -> None:
        header = [echo.s(f"item {i}") for i in range(ITEMS)]
        chord(header)(callback.s(str(n), receiver.url(f"batch/{n}")))

    started = time.time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(publish, range(BATCHES)))
    return _wait(receiver) - started, None


def runflow(
    mode: str, src: str | None = None
) -> Callable[[CallbackReceiver], tuple[float, float | None]]:
    settings = {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8"}
    if src is not None:
        settings["PYTHONPATH"] = src

    def measure(receiver: CallbackReceiver) -> tuple[float, float | None]:
        with deployment(mode, settings) as running:
            time.sleep(1.0)  # let the worker finish starting too
            cpu_before = [cpu_seconds(p.pid) for p in running.processes]
            started, _ = asyncio.run(drive(running.base_url, running.api_key, receiver))
            cpu = sum(
                cpu_seconds(p.pid) - before
                for p, before in zip(running.processes, cpu_before, strict=True)
            )
        return max(receiver.arrivals.values()) - started, cpu

    return measure


SYSTEMS: dict[str, Callable[[CallbackReceiver], tuple[float, float | None]]] = {
    "bare asyncio": bare_asyncio,
    "celery+redis": celery_chords,
    "runflow sqlite": runflow("sqlite"),
    "runflow postgres": runflow("postgres"),
}


def start_celery_worker() -> subprocess.Popen[bytes]:
    subprocess.run(["redis-cli", "-n", "15", "flushdb"], check=True, capture_output=True)
    worker = subprocess.Popen(
        [CELERY, "-A", "bench.s1_celery", "worker", "--loglevel=WARNING", "--concurrency=2"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from bench.s1_celery import app

    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=1.0):
        if time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not start")
    return worker


def main(rounds: int, chosen: list[str]) -> None:
    worker = start_celery_worker() if "celery+redis" in chosen else None
    times: dict[str, list[float]] = {name: [] for name in chosen}
    cpus: dict[str, list[float]] = {name: [] for name in chosen}
    try:
        for round_number in range(1, rounds + 1):
            for name in chosen:
                receiver = CallbackReceiver(expected=BATCHES)
                receiver.serve_in_thread()
                elapsed, cpu = SYSTEMS[name](receiver)
                times[name].append(elapsed)
                line = f"round {round_number}  {name:<17} {elapsed:6.2f} s"
                if cpu is not None:
                    cpus[name].append(cpu)
                    line += f"   CPU {cpu / (BATCHES * ITEMS) * 1e6:4.0f} µs/item"
                print(line, flush=True)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nS1 ({BATCHES} × {ITEMS} echo items, to the last callback), medians of {rounds}:")
    for name, median in medians.items():
        spread = f"{min(times[name]):.2f}–{max(times[name]):.2f}"
        line = f"  {name:<17} {median:6.2f} s  ({spread})"
        if cpus[name]:
            line += f"  CPU {statistics.median(cpus[name]) / (BATCHES * ITEMS) * 1e6:.0f} µs/item"
        print(line)
    bare = medians.get("bare asyncio")
    celery = medians.get("celery+redis")
    for name in medians:
        if not name.startswith("runflow"):
            continue
        ratios = []
        if bare:
            ratios.append(f"{medians[name] / bare:.1f}× bare asyncio")
        if celery:
            ratios.append(f"{celery / medians[name]:.1f}× faster than Celery")
        if ratios:
            print(f"  {name}: " + ", ".join(ratios))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--baseline-src", help="src/ of a checkout to measure alongside")
    arguments = parser.parse_args()
    chosen = arguments.systems.split(",")
    if arguments.baseline_src:
        for mode in ("sqlite", "postgres"):
            name = f"runflow {mode} (baseline)"
            SYSTEMS[name] = runflow(mode, arguments.baseline_src)
            if f"runflow {mode}" in chosen:
                chosen.append(name)
    main(arguments.rounds, chosen)

"""S1 side by side (DESIGN §12, issue 21): bare asyncio, Celery + Redis chords, Runflow on
SQLite and Runflow on PostgreSQL (1 API + 1 worker), in interleaved rounds with the same
callback receiver and clock; prints each system's median and the ratios the targets use.

S1: 10,000 `echo` items, 100 batches × 100, each batch with a callback URL, timed from the
first create to the last of the 100 callbacks received. Runflow's batches are created over
HTTP by 8 clients; Celery's chords are published by 8 threads; bare asyncio runs a task per
item and POSTs each batch's callback — the limit on this machine.

Each system is started once and runs one S1 as a warm-up before the counted rounds: Celery's
worker and Runflow's deployments alike serve every round, as long-running services do.
CPU per item is given for Runflow's own processes and for all of them (with PostgreSQL's
server processes, DESIGN §12's figure).

    python -m bench.s1_compare [--rounds N] [--systems a,b] [--baseline-src DIR] [--cold]

`--baseline-src` adds Runflow from the `src/` of another checkout (A/B in the same run);
`--cold` measures a new Runflow deployment in each round, on its first S1.

Needs Redis on 127.0.0.1:6379 (database 15 is flushed) and PostgreSQL as `bench.deployment`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.deployment import Deployment, deployment
from bench.echo_batches import BATCHES, CLIENTS, ITEMS, drive
from bench.processes import cpu_seconds, postgres_cpu_seconds
from bench.receiver import CallbackReceiver

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def _wait(receiver: CallbackReceiver) -> float:
    if not receiver.all_arrived.wait(600):
        raise RuntimeError(f"only {len(receiver.arrivals)} callbacks arrived")
    return max(receiver.arrivals.values())


def bare_asyncio(receiver: CallbackReceiver) -> Measured:
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
    return Measured(_wait(receiver) - started)


def celery_chords(receiver: CallbackReceiver) -> Measured:
    from celery import chord

    from bench.s1_celery import callback, echo

    def publish(n: int) -> None:
        header = [echo.s(f"item {i}") for i in range(ITEMS)]
        chord(header)(callback.s(str(n), receiver.url(f"batch/{n}")))

    started = time.time()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(publish, range(BATCHES)))
    return Measured(_wait(receiver) - started)


@dataclass
class Measured:
    elapsed_s: float
    # CPU seconds of Runflow's processes, and of every process the system ran on (with
    # PostgreSQL's server processes: DESIGN §12's "all processes"); None for the others.
    cpu_s: float | None = None
    all_cpu_s: float | None = None


class Runflow:
    """Runflow on `mode`'s deployment, started once and kept for every round (as Celery's
    worker is), or with `cold`, a new deployment measured on its first S1 in each round."""

    def __init__(self, mode: str, src: str | None = None, *, cold: bool = False) -> None:
        self.settings = {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8"}
        if src is not None:
            self.settings["PYTHONPATH"] = src
        self.mode = mode
        self.cold = cold
        self._running: Deployment | None = None

    def open(self, stack: contextlib.ExitStack) -> None:
        if not self.cold:
            self._running = stack.enter_context(deployment(self.mode, self.settings))
            time.sleep(1.0)  # let the worker finish starting too

    def __call__(self, receiver: CallbackReceiver) -> Measured:
        if self._running is not None:
            return self._measure(self._running, receiver)
        with deployment(self.mode, self.settings) as running:
            time.sleep(1.0)
            return self._measure(running, receiver)

    def _measure(self, running: Deployment, receiver: CallbackReceiver) -> Measured:
        postgres = self.mode == "postgres"
        before = [cpu_seconds(p.pid) for p in running.processes]
        postgres_before = postgres_cpu_seconds() if postgres else 0.0
        started, _ = asyncio.run(drive(running.base_url, running.api_key, receiver))
        elapsed = _wait(receiver) - started
        cpu = sum(
            cpu_seconds(p.pid) - spent for p, spent in zip(running.processes, before, strict=True)
        )
        postgres_cpu = postgres_cpu_seconds() - postgres_before if postgres else 0.0
        return Measured(elapsed, cpu, cpu + postgres_cpu)


SYSTEMS: dict[str, Callable[[CallbackReceiver], Measured]] = {
    "bare asyncio": bare_asyncio,
    "celery+redis": celery_chords,
    "runflow sqlite": Runflow("sqlite"),
    "runflow postgres": Runflow("postgres"),
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


def _per_item(cpu_s: float) -> str:
    return f"{cpu_s / (BATCHES * ITEMS) * 1e6:4.0f} µs/item"


def _one_s1(name: str) -> Measured:
    receiver = CallbackReceiver(expected=BATCHES)
    receiver.serve_in_thread()
    return SYSTEMS[name](receiver)


def main(rounds: int, chosen: list[str]) -> None:
    measured: dict[str, list[Measured]] = {name: [] for name in chosen}
    with contextlib.ExitStack() as stack:
        if "celery+redis" in chosen:
            worker = start_celery_worker()
            stack.callback(worker.wait, 30)
            stack.callback(worker.terminate)
        for name in chosen:
            if isinstance(system := SYSTEMS[name], Runflow):
                system.open(stack)
        for name in chosen:  # a warm-up S1 each, not counted: every system starts warm
            _one_s1(name)
        for round_number in range(1, rounds + 1):
            for name in chosen:
                result = _one_s1(name)
                measured[name].append(result)
                line = f"round {round_number}  {name:<17} {result.elapsed_s:6.2f} s"
                if result.cpu_s is not None and result.all_cpu_s is not None:
                    line += f"   CPU {_per_item(result.cpu_s)}, {_per_item(result.all_cpu_s)} all"
                print(line, flush=True)
    medians = {
        name: statistics.median(r.elapsed_s for r in results) for name, results in measured.items()
    }
    print(f"\nS1 ({BATCHES} × {ITEMS} echo items, to the last callback), medians of {rounds}:")
    for name, median in medians.items():
        times = [r.elapsed_s for r in measured[name]]
        line = f"  {name:<17} {median:6.2f} s  ({min(times):.2f}–{max(times):.2f})"
        cpus = [r.cpu_s for r in measured[name] if r.cpu_s is not None]
        all_cpus = [r.all_cpu_s for r in measured[name] if r.all_cpu_s is not None]
        if cpus and all_cpus:
            line += (
                f"  CPU {_per_item(statistics.median(cpus))} (Runflow's processes), "
                f"{_per_item(statistics.median(all_cpus))} (all processes)"
            )
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
    parser.add_argument(
        "--cold",
        action="store_true",
        help="a new Runflow deployment per round, measured on its first S1 (no warm-up)",
    )
    arguments = parser.parse_args()
    chosen = arguments.systems.split(",")
    for mode in ("sqlite", "postgres"):
        SYSTEMS[f"runflow {mode}"] = Runflow(mode, cold=arguments.cold)
        if arguments.baseline_src:
            name = f"runflow {mode} (baseline)"
            SYSTEMS[name] = Runflow(mode, arguments.baseline_src, cold=arguments.cold)
            if f"runflow {mode}" in chosen:
                chosen.append(name)
    main(arguments.rounds, chosen)

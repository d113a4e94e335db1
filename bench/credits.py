"""S1 with credits enforced beside S1 without enforcement, interleaved in one run (DESIGN §16).

S1 (DESIGN §12): 100 batches × 100 `echo` items over HTTP until the 100 callbacks arrived.
Every `echo` costs 0.0001, so every run is debited in its completion (a `usage` ledger row and
the org's balance) whether or not the org enforces credits; enforced, each create also reserves
its estimate and each run gives its share back as it ends. The org is granted far more than a
round spends ("a sufficient balance").

`--baseline-src DIR` adds a third system: the `src/` of a checkout from before the ledger
(e.g. `git worktree add /tmp/before 2d315b2`), run by the same interpreter, to show what the
debits themselves cost. Each round starts a fresh deployment per system, warms it with one S1,
then times one; prints each round and the medians (target: the debits cost ≤ 10 % of S1).

    python -m bench.credits [sqlite|postgres] [ROUNDS] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal

import httpx

from bench.deployment import Deployment, deployment
from bench.echo_batches import drive
from bench.processes import RUNFLOW, cpu_seconds
from bench.receiver import CallbackReceiver

BATCHES = 100
ITEMS_TOTAL = BATCHES * 100
ECHO_PRICE = Decimal("0.0001")
GRANT = "1000000"


def s1(running: Deployment) -> float:
    callbacks = CallbackReceiver(expected=BATCHES)
    callbacks.serve_in_thread()
    started, _ = asyncio.run(drive(running.base_url, running.api_key, callbacks))
    return max(callbacks.arrivals.values()) - started


def credits_command(running: Deployment, *args: str) -> None:
    """`runflow credits ARGS` on the deployment's database, as its operator would run it."""
    subprocess.run(
        [RUNFLOW, "credits", *args],
        env={**os.environ, **running.env},
        check=True,
        capture_output=True,
    )


def timed(
    mode: str, settings: dict[str, str], prepare: Callable[[Deployment], None]
) -> tuple[float, float]:
    """S1's wall time, and the CPU seconds Runflow's processes spent on it."""
    with deployment(mode, {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8", **settings}) as running:
        time.sleep(1.0)  # let the worker finish starting too
        prepare(running)
        s1(running)  # warm-up, not counted
        before = sum(cpu_seconds(process.pid) for process in running.processes)
        elapsed = s1(running)
        spent = sum(cpu_seconds(process.pid) for process in running.processes) - before
        if running.env.get("PYTHONPATH") is None:
            check_books(running, rounds_run=2)
        return elapsed, spent


def check_books(running: Deployment, rounds_run: int) -> None:
    """Every echo of every S1 debited exactly once, nothing left reserved."""
    headers = {"Authorization": f"Bearer {running.api_key}"}
    account = httpx.get(f"{running.base_url}/v1/account", headers=headers).json()
    expected = Decimal(GRANT) - rounds_run * ITEMS_TOTAL * ECHO_PRICE
    shown = (Decimal(account["credit_balance"]), Decimal(account["credit_reserved"]))
    if shown != (expected, Decimal(0)):
        raise RuntimeError(f"the books do not balance: {shown}, expected ({expected}, 0)")


def _with_credits(enforced: bool) -> Callable[[Deployment], None]:
    def prepare(running: Deployment) -> None:
        credits_command(running, "grant", "--org", "default", GRANT)
        credits_command(running, "enforce", "--org", "default", "on" if enforced else "off")

    return prepare


def main(mode: str, rounds: int, baseline_src: str | None) -> None:
    systems: dict[str, tuple[dict[str, str], Callable[[Deployment], None]]] = {
        "not enforced": ({}, _with_credits(False)),
        "enforced": ({}, _with_credits(True)),
    }
    if baseline_src:
        systems["before the ledger"] = ({"PYTHONPATH": baseline_src}, lambda running: None)
    times: dict[str, list[float]] = {name: [] for name in systems}
    cpu: dict[str, list[float]] = {name: [] for name in systems}
    for n in range(rounds):
        for name, (settings, prepare) in systems.items():
            elapsed, spent = timed(mode, settings, prepare)
            times[name].append(elapsed)
            cpu[name].append(spent)
        shown = ", ".join(
            f"{name} {times[name][-1]:.2f} s ({cpu[name][-1]:.2f} s CPU)" for name in systems
        )
        print(f"round {n + 1}: S1 {shown}", flush=True)
    wall = {name: statistics.median(values) for name, values in times.items()}
    used = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"{mode}, medians of {rounds} interleaved rounds:")
    for name in systems:
        print(
            f"  S1 {name}: {wall[name]:.2f} s ({wall[name] / wall['not enforced']:.2f}× not "
            f"enforced), {used[name] / ITEMS_TOTAL * 1e6:.0f} µs CPU per item"
        )
    if "before the ledger" in wall:
        for name in ("not enforced", "enforced"):
            extra_wall = (wall[name] / wall["before the ledger"] - 1) * 100
            extra_cpu = (used[name] / used["before the ledger"] - 1) * 100
            print(f"  the ledger ({name}): {extra_wall:+.1f} % wall, {extra_cpu:+.1f} % CPU")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    parser.add_argument("--baseline-src", help="src/ of a checkout from before the ledger")
    arguments = parser.parse_args()
    main(arguments.mode, arguments.rounds, arguments.baseline_src)

"""S1 with a webhook endpoint subscribed to `*`, beside S1 without one, interleaved in one run.

S1 (DESIGN §12): 100 batches × 100 `echo` items over HTTP, each batch with a `callback_url`,
until the 100 callbacks arrived. With the endpoint, the same work also produces 10,200 events
(100 `batch.created`, 10,000 `run.succeeded`, 100 `batch.succeeded`), each delivered to a fast
local receiver in a process of its own (`bench/event_receiver.py`). Prints per round and as
medians: S1's time with and without the endpoint — with it, both to the last callback and to
the last event (DESIGN §12 counts the events delivered) —, events delivered per second (first
to last delivery), how long after the last batch ended the last event arrived, and the rate
once the batches had ended, when the sender has the process to itself (DESIGN §15: ≥ 1,000
deliveries/s per process; S1 with the endpoint ≤ 2× S1 without).

    python -m bench.webhooks sqlite|postgres [ROUNDS] [--credits] [--baseline-src DIR]
                             [--sender api|worker]

`--credits` enforces credits in the rounds with the endpoint (DESIGN §12 compares S1 with an
endpoint and credits enforced to plain S1); `--baseline-src` adds a deployment running another
checkout's `src/`, in the same rounds; `--sender api` (PostgreSQL) sends from the API process
rather than the worker, in both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass

import httpx

from bench.credits import GRANT, credits_command
from bench.deployment import Deployment, deployment
from bench.echo_batches import BATCHES, ITEMS, drive
from bench.event_receiver import EventReceiver
from bench.processes import cpu_seconds, postgres_cpu_seconds
from bench.receiver import CallbackReceiver

EVENTS = BATCHES * ITEMS + 2 * BATCHES


@dataclass
class Round:
    s1_s: float
    # CPU seconds from the first batch's creation to the last callback (without an endpoint)
    # or the last event (with one): Runflow's processes, PostgreSQL's, the event receiver's.
    cpu: dict[str, float]
    events_per_s: float | None = None
    tail_s: float | None = None
    # Once the last batch ended the sender has the process to itself: its own rate.
    tail_per_s: float | None = None
    # From the first batch's creation until the callbacks and the events had all arrived.
    all_s: float | None = None


def subscribe(base_url: str, api_key: str, url: str) -> str:
    """A new endpoint on `*` at `url`; returns its id."""
    response = httpx.post(
        f"{base_url}/v1/webhooks/endpoints",
        json={"url": url, "event_types": ["*"]},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    response.raise_for_status()
    endpoint_id: str = response.json()["id"]
    return endpoint_id


def one_round(running: Deployment, events: EventReceiver | None) -> Round:
    base_url, api_key = running.base_url, running.api_key
    headers = {"Authorization": f"Bearer {api_key}"}
    endpoint_id = None
    if events is not None:
        events.reset()
        endpoint_id = subscribe(base_url, api_key, events.url())
    callbacks = CallbackReceiver(expected=BATCHES)
    callbacks.serve_in_thread()
    meter = CpuMeter(running, events)
    started, _ = asyncio.run(drive(base_url, api_key, callbacks))
    s1_s = max(callbacks.arrivals.values()) - started
    if events is None:
        return Round(s1_s, meter.read())
    arrived = events.wait_for(EVENTS, 300)
    result = Round(s1_s, meter.read())
    first, last = min(arrived.times), max(arrived.times)
    result.events_per_s = len(arrived.times) / (last - first)
    ended = max(arrived.batch_ends)
    result.tail_s = last - ended
    after = sum(1 for arrival in arrived.times if arrival > ended)
    result.tail_per_s = after / result.tail_s if result.tail_s > 0 else None
    result.all_s = max(last, max(callbacks.arrivals.values())) - started
    httpx.delete(f"{base_url}/v1/webhooks/endpoints/{endpoint_id}", headers=headers)
    return result


class CpuMeter:
    """CPU time of the deployment's processes, PostgreSQL's and the event receiver's, from
    its creation to `read()`."""

    def __init__(self, running: Deployment, events: EventReceiver | None) -> None:
        self._pids = {"api": running.processes[0].pid}
        if len(running.processes) > 1:
            self._pids["worker"] = running.processes[1].pid
        if events is not None:
            self._pids["receiver"] = events.pid
        self._postgres = "RUNFLOW_DATABASE_URL" in running.env
        self._start = self._now()

    def _now(self) -> dict[str, float]:
        now = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        if self._postgres:
            now["postgres"] = postgres_cpu_seconds()
        return now

    def read(self) -> dict[str, float]:
        return {name: spent - self._start[name] for name, spent in self._now().items()}


def _per_event(with_endpoint: list[Round], without: list[Round]) -> str:
    """Median CPU per event of each part: the round with the endpoint less the plain one."""
    parts = with_endpoint[0].cpu
    costs = {
        name: statistics.median(
            (a.cpu[name] - b.cpu.get(name, 0.0)) / EVENTS
            for a, b in zip(with_endpoint, without, strict=True)
        )
        for name in parts
    }
    return ", ".join(f"{name} {cost * 1e6:,.0f}" for name, cost in costs.items())


def _enforce_credits(running: Deployment, enforced: bool) -> None:
    credits_command(running, "enforce", "--org", "default", "on" if enforced else "off")


def main(mode: str, rounds: int, baseline_src: str | None, credits: bool, sender: str) -> None:
    events = EventReceiver()
    events.start()
    systems = {"runflow": None} | ({"baseline": baseline_src} if baseline_src else {})
    without: dict[str, list[Round]] = {name: [] for name in systems}
    with_endpoint: dict[str, list[Round]] = {name: [] for name in systems}
    settings = {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8"}
    with contextlib.ExitStack() as stack:
        stack.callback(events.stop)
        deployments = {
            name: stack.enter_context(
                deployment(mode, settings | ({"PYTHONPATH": src} if src else {}), sender=sender)
            )
            for name, src in systems.items()
        }
        time.sleep(1.0)
        for running in deployments.values():
            if credits:
                credits_command(running, "grant", "--org", "default", GRANT)
            one_round(running, None)  # warm-up, not counted
        for n in range(rounds):
            for name, running in deployments.items():
                if credits:
                    _enforce_credits(running, False)
                without[name].append(one_round(running, None))
                if credits:
                    _enforce_credits(running, True)
                with_endpoint[name].append(one_round(running, events))
                last = with_endpoint[name][-1]
                print(
                    f"round {n + 1} {name}: S1 {without[name][-1].s1_s:.2f} s without, "
                    f"{last.s1_s:.2f} s with the endpoint ({last.all_s or 0:.2f} s to the last "
                    f"event); {last.events_per_s:,.0f} events/s, "
                    f"last event {last.tail_s:.2f} s after the last batch ended "
                    f"({last.tail_per_s or 0:,.0f} events/s meanwhile)",
                    flush=True,
                )
    enforced = " and credits enforced" if credits else ""
    print(f"{mode}, medians of {rounds} interleaved rounds (with the endpoint{enforced}):")
    for name in systems:
        plain = statistics.median(r.s1_s for r in without[name])
        subscribed = statistics.median(r.s1_s for r in with_endpoint[name])
        everything = statistics.median(r.all_s or 0 for r in with_endpoint[name])
        rate = statistics.median(r.events_per_s or 0 for r in with_endpoint[name])
        tail = statistics.median(r.tail_s or 0 for r in with_endpoint[name])
        alone = statistics.median(r.tail_per_s or 0 for r in with_endpoint[name])
        print(
            f"  {name}: S1 without an endpoint {plain:.2f} s; with one on * {subscribed:.2f} s "
            f"to the last callback ({subscribed / plain:.2f}×), {everything:.2f} s to the last "
            f"event ({everything / plain:.2f}×)"
        )
        print(
            f"  {name}: {EVENTS:,} events delivered at {rate:,.0f}/s; the last {tail:.2f} s "
            f"after the last batch ended; {alone:,.0f}/s once the batches had ended"
        )
        print(f"  {name}: CPU per event (µs): {_per_event(with_endpoint[name], without[name])}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("sqlite", "postgres"))
    parser.add_argument("rounds", type=int, nargs="?", default=3)
    parser.add_argument("--baseline-src", help="src/ of a checkout to measure alongside")
    parser.add_argument(
        "--credits",
        action="store_true",
        help="enforce credits in the rounds with the endpoint (DESIGN §12's line), not in plain S1",
    )
    parser.add_argument(
        "--sender",
        choices=("worker", "api"),
        default="worker",
        help="which PostgreSQL process sends callbacks and events (RUNFLOW_SENDER)",
    )
    given = parser.parse_args()
    main(given.mode, given.rounds, given.baseline_src, given.credits, given.sender)

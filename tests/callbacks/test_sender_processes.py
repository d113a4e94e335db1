"""Senders in real `runflow worker` processes: one killed mid-attempt loses nothing, and two
on one PostgreSQL never send one attempt twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from runflow.callbacks.queue import LOST_ATTEMPT
from runflow.config import Settings
from tests.callbacks.helpers import batch_with_callback, finished_delivery
from tests.callbacks.receiver import Receiver, Reply
from tests.engine.polling import eventually
from tests.engine.workers import WorkerProcess

WORKER: dict[str, Any] = {
    "worker_concurrency": 8,
    "callback_allow_cidrs": "127.0.0.0/8",
    "callback_timeout_s": 1,  # a sender's lease: 2 × 1 s + 5 s
    "callback_retry_delays": "0.1,0.1",
}
# Two senders racing on a loaded 2-core machine: an answer may take seconds to be read, and an
# attempt that timed out is still an attempt the receiver saw. A generous timeout keeps the test
# about what it checks — no attempt sent twice — and not about the machine's speed.
RACING_WORKER: dict[str, Any] = {**WORKER, "callback_timeout_s": 10}


async def test_a_sender_killed_mid_attempt_delivers_after_restart_with_the_same_webhook_id(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    async with Receiver() as receiver:
        receiver.script(Reply(200, delay_s=60))  # the first attempt never gets an answer
        created = await batch_with_callback(client, auth, receiver.url())
        first = WorkerProcess(url, tmp_path, tmp_path / "first.log", **WORKER)
        try:

            async def attempt_in_flight() -> bool:
                return len(receiver.received) == 1

            await eventually(attempt_in_flight, timeout_s=30)
        finally:
            first.kill()

        with WorkerProcess(url, tmp_path, tmp_path / "second.log", **WORKER):
            delivery = await finished_delivery(client, auth, created["id"], timeout_s=40)

    assert delivery["status_code"] == "succeeded"
    lost, delivered = delivery["attempts"]
    assert (lost["attempt_number"], lost["status_code"]) == (1, None)
    assert lost["error_message"] == LOST_ATTEMPT
    assert (delivered["attempt_number"], delivered["status_code"]) == (2, 200)
    assert [r.webhook_id for r in receiver.received] == [delivery["id"]] * 2
    assert receiver.received[0].body == receiver.received[1].body


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_senders_never_send_one_attempt_twice(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    async with Receiver() as receiver:
        batches = [
            await batch_with_callback(client, auth, receiver.url(), items=[{"message": str(n)}])
            for n in range(200)
        ]
        workers = [
            WorkerProcess(url, tmp_path, tmp_path / f"worker-{n}.log", **RACING_WORKER)
            for n in range(2)
        ]
        try:
            deliveries = [await finished_delivery(client, auth, b["id"], 60) for b in batches]
        finally:
            for worker in workers:
                worker.stop()

    # A sender starved past its lease (a loaded machine) loses its attempt to the other one,
    # which sends attempt 2: legitimate. What must never happen is one attempt sent twice.
    assert {d["status_code"] for d in deliveries} == {"succeeded"}
    assert Counter(r.webhook_id for r in receiver.received) == Counter(
        {d["id"]: d["attempt_count"] for d in deliveries}
    )
    attempts = Counter(
        (record["delivery_id"], record["attempt"])
        for worker in workers
        for record in worker.events("callback_attempted")
    )
    assert len(attempts) == sum(d["attempt_count"] for d in deliveries)
    assert max(attempts.values()) == 1

"""SIGTERM (DESIGN §20): the engine stops claiming, running runs get RUNFLOW_SHUTDOWN_GRACE_S,
then go straight back to the queue — due at once, no lease held — and the process exits 0.
The next engine picks them up at once (its lease is ten minutes: waiting one out would fail
the test), and the batch ends with every item and one callback: nothing lost."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.callbacks.receiver import Receiver
from tests.engine.polling import eventually
from tests.served import BOOTSTRAP_KEY, restart_server, start_server, stop_server, wait_until_ready

AUTH = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
# Long enough that no slow run can finish within the grace, even on a loaded machine (the
# grace is 1 s); each test waits for it twice, once cut off and once run again to its end.
SLOW_MS = 10_000
# Far beyond grace + shutdown: a process that hangs fails here; one that waited for its runs
# instead of handing them back fails the checks after it, which find them ended, not queued.
EXIT_DEADLINE_S = 15.0
SETTINGS = {"shutdown_grace_s": "1", "lease_s": "600", "callback_allow_cidrs": "127.0.0.0/8"}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hooks = Receiver()
    await hooks.start()
    yield hooks
    await hooks.stop()


def stored_runs(data_dir: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(data_dir / "runflow.db") as database:
        database.row_factory = sqlite3.Row
        return [
            dict(row)
            for row in database.execute(
                "SELECT status_code, lease_owner, lease_expires_at, available_at, attempt, input"
                " FROM runs"
            )
        ]


async def test_sigterm_hands_running_runs_back_and_the_next_engine_finishes_them(
    tmp_path: Path, receiver: Receiver
) -> None:
    (tmp_path / "logs").mkdir()
    server = start_server(tmp_path / "data", tmp_path / "logs", **SETTINGS)
    try:
        wait_until_ready(server)
        items: list[dict[str, Any]] = [{"message": f"quick {n}"} for n in range(3)]
        items += [{"message": f"slow {n}", "delay_ms": SLOW_MS} for n in range(3)]
        async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH, timeout=60) as http:
            response = await http.post(
                "/v1/models/runflow/echo/batches",
                json={"input": items, "callback_url": receiver.url()},
            )
            assert response.status_code == 201, response.text
            batch_id = response.json()["id"]

            async def slow_ones_running() -> bool:
                page = (await http.get(f"/v1/batches/{batch_id}/items")).json()["items"]
                statuses = sorted(item["status_code"] for item in page)
                return statuses == ["running"] * 3 + ["succeeded"] * 3

            await eventually(slow_ones_running, timeout_s=120)
        server.process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(server.process.wait, EXIT_DEADLINE_S)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise
    finally:
        if server.process.poll() is None:
            stop_server(server)
    assert exit_code == 0, server.stderr()

    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    slow = [run for run in stored_runs(server.data_dir) if "slow" in run["input"]]
    assert len(slow) == 3
    for run in slow:
        assert run["status_code"] == "queued", run
        assert run["lease_owner"] is None, run
        assert run["lease_expires_at"] is None, run
        assert run["available_at"] <= now, run  # due at once, no lease to wait out
    events = [json.loads(line)["event"] for line in server.stderr().splitlines() if line[:1] == "{"]
    assert "dispatcher_stopped" in events

    again = restart_server(server, **SETTINGS)
    try:
        wait_until_ready(again)
        async with httpx.AsyncClient(base_url=again.base_url, headers=AUTH, timeout=60) as http:

            async def ended() -> dict[str, Any] | None:
                batch: dict[str, Any] = (await http.get(f"/v1/batches/{batch_id}")).json()
                return batch if batch["status_code"] == "succeeded" else None

            batch = await eventually(ended, timeout_s=300)
            assert batch["items_succeeded"] == 6
            outputs = (await http.get(f"/v1/batches/{batch_id}/items")).json()["items"]
            assert sorted(item["output"]["message"] for item in outputs) == sorted(
                item["message"] for item in items
            )
        await eventually(lambda: _async_true(len(receiver.received) >= 1), timeout_s=120)
    finally:
        stop_server(again)
    callbacks = [json.loads(hook.body) for hook in receiver.received]
    assert [(hook["batch_id"], hook["status"]) for hook in callbacks] == [(batch_id, "succeeded")]
    slow_attempts = [
        run["attempt"] for run in stored_runs(again.data_dir) if "slow" in run["input"]
    ]
    assert slow_attempts == [2, 2, 2]


async def _async_true(value: bool) -> bool:
    return value

"""A worker killed with SIGKILL mid-batch loses nothing: its leases expire and another worker
finishes the work; the batch turns terminal exactly once, and each run is debited once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.runs.models import Run
from tests.credits.helpers import account, assert_books_balance, enforced_with, transactions
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.engine.workers import WorkerProcess


async def test_killed_worker_loses_no_item(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    tmp_path: Path,
) -> None:
    await enforced_with(database, "acme", "1")
    # About 5 s of work for 8 slots: a wide window to kill the worker in, even when loaded.
    created = await create_batch(
        client, auth, [{"message": f"m{i}", "delay_ms": 600} for i in range(60)]
    )
    url = settings.resolved_database_url
    worker_options: dict[str, Any] = {"worker_concurrency": 8, "lease_s": 1}
    first = WorkerProcess(url, tmp_path, tmp_path / "first.log", **worker_options)
    try:

        async def some_done_some_running() -> bool:
            async with database.transaction(write=False) as session:
                states = list(await session.scalars(select(Run.status_code)))
            return states.count("succeeded") >= 8 and "running" in states

        await eventually(some_done_some_running, timeout_s=30)
    finally:
        first.kill()

    async with database.transaction(write=False) as session:
        orphaned = list(await session.scalars(select(Run.id).where(Run.status_code == "running")))
    assert orphaned, "the kill should have left runs behind with live leases"

    with WorkerProcess(url, tmp_path, tmp_path / "second.log", **worker_options) as second:
        batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "succeeded"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (60, 0, 0)
    assert [entry["output"] for entry in batch["output"]["items"]] == [
        {"message": f"m{i}"} for i in range(60)
    ]
    async with database.transaction(write=False) as session:
        rows = (await session.execute(select(Run.id, Run.attempt))).all()
    attempts = {run_id: attempt for run_id, attempt in rows}
    assert all(attempts[run_id] == 2 for run_id in orphaned)
    finished = first.events("batch_finished") + second.events("batch_finished")
    assert [record["batch_id"] for record in finished] == [created["id"]]
    # Run twice, the orphaned runs are debited once: the fence lets one completion through.
    usage = await transactions(client, auth, "kind_code = usage")
    assert sorted(row["run_id"] for row in usage) == sorted(
        item["run_id"] for item in batch["items"]
    )
    shown = await account(client, auth)
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("0.994", "0")
    await assert_books_balance(database)

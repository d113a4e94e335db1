"""Runs done on the spot are written once, by the transaction of their claim; should that
transaction fail, the next claim leases them and they end as any other run."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from runflow.callbacks.outbox import Outbox
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.engine import completion
from runflow.engine import dispatcher as dispatching
from runflow.engine.assembly import build_dispatcher
from runflow.runs.models import Run
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.plans import Sent, sent_statements


def _leased(sent: Sent) -> list[str]:
    """The parameters of each lease statement sent, as text (the ids are in them)."""
    return [str(given) for sql, given in sent if "lease_owner" in sql and "runs.attempt +" in sql]


def _mentions(given: str, run_id: str) -> bool:
    return run_id in given or uuid.UUID(run_id).hex in given  # SQLite's form, PostgreSQL's


async def _run_batch(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    outbox: Outbox,
    items: list[dict[str, Any]],
) -> tuple[dict[str, Any], Sent]:
    created = await create_batch(client, auth, items)
    dispatcher = build_dispatcher(
        database, settings.model_copy(update={"worker_concurrency": 8}), outbox
    )
    with sent_statements(database, "runs") as sent:
        await dispatcher.start()
        try:
            batch = await terminal_batch(client, auth, created["id"], timeout_s=30)
        finally:
            await dispatcher.stop()
    return batch, sent


async def _attempts(database: Database, batch: dict[str, Any]) -> dict[str, int]:
    async with database.transaction(write=False) as session:
        found = await session.execute(
            select(Run.id, Run.attempt).where(Run.batch_id == uuid.UUID(batch["id"]))
        )
        return {str(run_id): attempt for run_id, attempt in found}


async def test_echo_runs_go_from_queued_to_their_ending_in_one_write(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    outbox: Outbox,
) -> None:
    items: list[dict[str, Any]] = [{"message": f"m{n}"} for n in range(5)]
    items += [{"fail": True}, {"message": "slow", "delay_ms": 50}]
    batch, sent = await _run_batch(client, auth, settings, database, outbox, items)

    assert batch["status_code"] == "partially_succeeded"
    assert (batch["items_succeeded"], batch["items_failed"]) == (6, 1)
    run_ids = [entry["run_id"] for entry in batch["output"]["items"]]
    slow = run_ids[-1]
    # Only the run that needs a slot was leased; the others were never `running`.
    leased = _leased(sent)
    assert any(_mentions(given, slow) for given in leased), leased
    assert not any(_mentions(given, run_id) for run_id in run_ids[:-1] for given in leased)
    assert set((await _attempts(database, batch)).values()) == {1}
    for run_id in run_ids:
        run = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
        assert run["started_at"] is not None
        assert run["started_at"] <= run["completed_at"]
        assert run["duration_ms"] >= 0
    nodes = (await client.get(f"/v1/runs/{run_ids[0]}/node-runs", headers=auth)).json()
    assert [node["state_code"] for node in nodes["items"]] == ["succeeded"]
    assert [entry["output"] for entry in batch["output"]["items"][:5]] == [
        {"message": f"m{n}"} for n in range(5)
    ]


async def test_a_claim_whose_transaction_fails_is_taken_again_and_leased(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed: list[int] = []
    apply = completion.apply_completions

    async def fails_once_at_claim(*args: Any, at_claim: bool = False, **kwargs: Any) -> Any:
        if at_claim and not failed:
            failed.append(len(args[1]))
            raise RuntimeError("the database went away mid-claim")
        return await apply(*args, at_claim=at_claim, **kwargs)

    monkeypatch.setattr(dispatching, "apply_completions", fails_once_at_claim)
    batch, sent = await _run_batch(
        client, auth, settings, database, outbox, [{"message": f"m{n}"} for n in range(4)]
    )

    assert failed == [4]
    assert batch["status_code"] == "succeeded"
    assert [entry["output"] for entry in batch["output"]["items"]] == [
        {"message": f"m{n}"} for n in range(4)
    ]
    # Rolled back, the failed claim counted no attempt; the next one leased all four.
    leased = _leased(sent)
    attempts = await _attempts(database, batch)
    assert all(any(_mentions(given, run_id) for given in leased) for run_id in attempts)
    assert set(attempts.values()) == {1}


async def _statuses(database: Database, batch_id: str) -> dict[str, int]:
    async with database.transaction(write=False) as session:
        found = await session.execute(
            select(Run.status_code).where(Run.batch_id == uuid.UUID(batch_id))
        )
        counted: dict[str, int] = {}
        for (status,) in found:
            counted[status] = counted.get(status, 0) + 1
        return counted


async def test_after_runs_done_on_the_spot_a_worker_leases_no_more_than_its_slots(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    outbox: Outbox,
) -> None:
    """Claims that brought only runs done on the spot take full chunks; when such a chunk
    brings runs that need a slot, the worker leases as many as it has slots and leaves the
    rest queued, for another worker or its own next claim (DESIGN §5, §20)."""
    dispatcher = build_dispatcher(
        database, settings.model_copy(update={"worker_concurrency": 2}), outbox
    )
    await dispatcher.start()
    try:
        quick = await create_batch(client, auth, [{"message": f"m{n}"} for n in range(3)])
        await terminal_batch(client, auth, quick["id"], timeout_s=30)
        slow = await create_batch(client, auth, [{"delay_ms": 60_000}] * 12)

        async def two_running() -> dict[str, int] | None:
            counted = await _statuses(database, slow["id"])
            return counted if counted.get("running") == 2 else None

        counted = await eventually(two_running, timeout_s=30)
        assert counted == {"running": 2, "queued": 10}
        cancelled = await client.post(f"/v1/batches/{slow['id']}/cancel", headers=auth)
        assert cancelled.status_code == 200, cancelled.text
        await terminal_batch(client, auth, slow["id"], timeout_s=30)
    finally:
        await dispatcher.stop()

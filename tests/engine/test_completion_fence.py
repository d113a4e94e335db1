"""A completion chunk whose fence stops some of its runs writes only the others' results."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from runflow.callbacks.outbox import Outbox
from runflow.db.engine import Database
from runflow.engine.completion import Completion, apply_completions
from runflow.engine.models import NodeRun
from runflow.engine.queue import lease_runs, start_batches, take_due_runs
from runflow.kit.clock import utcnow
from runflow.runs.models import Run, RunStatus
from tests.engine.polling import create_batch


def _echoed(run_id: uuid.UUID, attempt: int, message: str) -> Completion:
    now = utcnow()
    return Completion(
        run_id,
        attempt,
        RunStatus.SUCCEEDED,
        now,
        output={"message": message},
        nodes_total=1,
        nodes_completed=1,
        node_runs=[
            {
                "node_id": run_id,
                "node_key": "echo",
                "node_type": "echo.respond",
                "state_code": "succeeded",
                "input_signature": "0" * 64,
                "cost": Decimal("0.25"),
                "retry_count": 0,
                "started_at": now,
                "completed_at": now,
                "created_at": now,
            }
        ],
    )


async def test_only_runs_still_holding_their_attempt_are_written(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    created = await create_batch(client, auth, [{"message": "kept"}, {"message": "stale"}])
    now = utcnow()
    async with database.transaction() as session:
        claimed = await take_due_runs(session, limit=2, now=now)
        await lease_runs(session, claimed, worker_id="w", lease=timedelta(seconds=30), now=now)
        await start_batches(session, claimed, now)
    kept, stale = sorted(claimed, key=lambda run: run.input["message"])

    async with database.transaction() as session:
        taken = await apply_completions(
            session,
            [_echoed(kept.id, kept.attempt, "kept"), _echoed(stale.id, stale.attempt - 1, "x")],
            Outbox(max_attempts=3),
        )

    assert [completion.run_id for completion in taken] == [kept.id]
    kept_run = (await client.get(f"/v1/runs/{kept.id}", headers=auth)).json()
    stale_run = (await client.get(f"/v1/runs/{stale.id}", headers=auth)).json()
    assert (kept_run["status_code"], stale_run["status_code"]) == ("succeeded", "running")
    nodes = (await client.get(f"/v1/runs/{kept.id}/node-runs", headers=auth)).json()["items"]
    assert [node["cost"] for node in nodes] == ["0.25"]
    async with database.transaction(write=False) as session:
        stored = await session.scalar(select(func.count()).select_from(NodeRun))
    assert stored == 1
    batch = (await client.get(f"/v1/batches/{created['id']}", headers=auth)).json()
    assert (batch["items_succeeded"], batch["status_code"]) == (1, "running")


async def test_at_claim_a_run_is_written_only_while_queued_one_attempt_before(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await create_batch(client, auth, [{"message": m} for m in ("kept", "stale", "leased")])
    now = utcnow()
    async with database.transaction() as session:
        taken = await take_due_runs(session, limit=3, now=now)
        by_message = {run.input["message"]: run for run in taken}
        kept, stale, leased = (by_message[m] for m in ("kept", "stale", "leased"))
        assert {run.attempt for run in taken} == {1}  # the attempt the claim makes them
        await lease_runs(session, [leased], worker_id="w", lease=timedelta(seconds=30), now=now)
        completions = [
            _echoed(kept.id, kept.attempt, "kept"),
            _echoed(stale.id, stale.attempt + 1, "x"),
            _echoed(leased.id, leased.attempt, "x"),
        ]
        for completion in completions:
            completion.started_at = now
        written = await apply_completions(
            session, completions, Outbox(max_attempts=3), at_claim=True
        )

    assert [completion.run_id for completion in written] == [kept.id]
    runs = {
        message: (await client.get(f"/v1/runs/{run.id}", headers=auth)).json()
        for message, run in by_message.items()
    }
    assert {message: run["status_code"] for message, run in runs.items()} == {
        "kept": "succeeded",
        "stale": "queued",
        "leased": "running",
    }
    async with database.transaction(write=False) as session:
        attempts = {run_id: n for run_id, n in await session.execute(select(Run.id, Run.attempt))}
    assert (attempts[kept.id], attempts[stale.id], attempts[leased.id]) == (1, 0, 1)
    assert runs["kept"]["started_at"] is not None
    assert runs["kept"]["output"] == {"message": "kept"}

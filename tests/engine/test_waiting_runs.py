"""Runs that need a slot, met by a claim of full chunks (after claims of runs done on the spot).

While claims bring only runs the provider finishes at once (echo without delay), the
dispatcher claims full chunks regardless of its concurrency. Runs of such a chunk that need a
slot after all are leased only as far as there are free slots; the rest stay queued. They must
respect the concurrency, run to their end, and be cancellable while they are queued.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.engine.polling import create_batch, eventually, terminal_batch

pytestmark = pytest.mark.engine(worker_concurrency=2)


async def _after_a_batch_done_on_the_spot(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    warm_up = await create_batch(client, auth, [{"message": "now"}] * 5)
    assert (await terminal_batch(client, auth, warm_up["id"]))["status_code"] == "succeeded"


async def _runs(
    client: httpx.AsyncClient, auth: dict[str, str], batch: dict[str, Any]
) -> list[Any]:
    return [
        (await client.get(f"/v1/runs/{item['run_id']}", headers=auth)).json()
        for item in batch["items"]
    ]


def _most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


async def test_runs_claimed_beyond_the_slots_wait_for_one_and_all_finish(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _after_a_batch_done_on_the_spot(client, auth)
    created = await create_batch(
        client, auth, [{"message": f"m{i}", "delay_ms": 150} for i in range(8)]
    )

    batch = await terminal_batch(client, auth, created["id"])

    assert batch["status_code"] == "succeeded"
    assert batch["items_succeeded"] == 8
    runs = await _runs(client, auth, created)
    # Leased two at a time, as slots freed, not all eight by the first claim ...
    assert max(Counter(run["started_at"] for run in runs).values()) <= 2
    # ... and never more than two executed at once.
    executions = []
    for run in runs:
        nodes = (await client.get(f"/v1/runs/{run['id']}/node-runs", headers=auth)).json()["items"]
        executions.append(
            (
                datetime.fromisoformat(nodes[0]["started_at"]),
                datetime.fromisoformat(nodes[0]["completed_at"]),
            )
        )
    assert _most_at_once(executions) <= 2
    assert [run["output"] for run in runs] == [{"message": f"m{i}"} for i in range(8)]


async def test_cancel_ends_the_runs_in_slots_and_those_left_queued(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _after_a_batch_done_on_the_spot(client, auth)
    # Long enough that no run ends on its own, however slow the machine; a cancel ends them
    # at once.
    created = await create_batch(client, auth, [{"delay_ms": 60_000}] * 5)

    async def two_in_slots_three_queued() -> bool:
        statuses = Counter(run["status_code"] for run in await _runs(client, auth, created))
        return statuses == {"running": 2, "queued": 3}

    await eventually(two_in_slots_three_queued)
    response = await client.post(f"/v1/batches/{created['id']}/cancel", headers=auth)
    assert response.status_code == 200, response.text

    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "cancelled"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (0, 0, 5)
    runs = await _runs(client, auth, created)
    assert {run["status_code"] for run in runs} == {"cancelled"}
    # The two in slots were signalled and say so; the three queued never started.
    signalled = [run for run in runs if run["failure_code"] == "CANCELLED"]
    assert len(signalled) == 2
    assert sum(run["started_at"] is None for run in runs) == 3
    for run in signalled:
        logs = (await client.get(f"/v1/runs/{run['id']}/logs", headers=auth)).json()["items"]
        assert [log["message"] for log in logs] == ["The run was cancelled."]

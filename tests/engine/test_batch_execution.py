"""Batches of `echo` run to the right terminal state with exact counters and costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.engine.polling import create_batch, eventually, terminal_batch

pytestmark = pytest.mark.engine(worker_concurrency=16)

ECHO_PRICE = Decimal("0.0001")


async def test_all_items_succeed(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    items = [{"message": f"m{i}", "client_ref": f"r{i}"} for i in range(25)]
    created = await create_batch(client, auth, items)

    batch = await terminal_batch(client, auth, created["id"])

    assert batch["status_code"] == "succeeded"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (25, 0, 0)
    assert Decimal(batch["cost"]) == 25 * ECHO_PRICE
    assert batch["started_at"] is not None
    assert batch["completed_at"] is not None
    assert batch["duration_ms"] >= 0
    manifest = batch["output"]["items"]
    assert [entry["sequence_index"] for entry in manifest] == list(range(25))
    assert [entry["output"] for entry in manifest] == [{"message": f"m{i}"} for i in range(25)]
    assert [entry["client_ref"] for entry in manifest] == [f"r{i}" for i in range(25)]
    assert all(entry["error"] is None for entry in manifest)


async def test_some_failing_items_make_it_partially_succeeded(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    items: list[dict[str, Any]] = [{"message": "ok"}] * 7 + [
        {"fail": True, "fail_message": "asked to fail"}
    ] * 3
    created = await create_batch(client, auth, items)

    batch = await terminal_batch(client, auth, created["id"])

    assert batch["status_code"] == "partially_succeeded"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (7, 3, 0)
    assert Decimal(batch["cost"]) == 7 * ECHO_PRICE
    failed = [entry for entry in batch["output"]["items"] if entry["status_code"] == "failed"]
    assert [entry["error"] for entry in failed] == [
        {"code": "MODEL_ERROR", "message": "asked to fail", "stage": "execution"}
    ] * 3
    page = (await client.get(f"/v1/batches/{created['id']}/items", headers=auth)).json()
    assert {item["cost"] for item in page["items"] if item["status_code"] == "failed"} == {"0"}


async def test_all_failing_items_make_it_failed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"fail": True}] * 4)

    batch = await terminal_batch(client, auth, created["id"])

    assert batch["status_code"] == "failed"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (0, 4, 0)
    assert batch["cost"] == "0"


@pytest.mark.engine(worker_concurrency=3)
async def test_cancel_mid_run_keeps_finished_results(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # Two quick items finish; one slow item is running when the cancel lands; the rest queue.
    items = [{"message": "fast-0"}, {"message": "fast-1"}] + [{"delay_ms": 30_000}] * 6
    created = await create_batch(client, auth, items)

    async def fast_items_done() -> bool:
        page = (await client.get(f"/v1/batches/{created['id']}/items", headers=auth)).json()
        states = [item["status_code"] for item in page["items"]]
        return states[:2] == ["succeeded", "succeeded"] and "running" in states

    await eventually(fast_items_done)
    # While it runs, its cost is what its ended items cost (DESIGN §5), as its counters are.
    running = (await client.get(f"/v1/batches/{created['id']}", headers=auth)).json()
    assert running["status_code"] == "running"
    assert (running["items_succeeded"], Decimal(running["cost"])) == (2, 2 * ECHO_PRICE)
    response = await client.post(f"/v1/batches/{created['id']}/cancel", headers=auth)
    assert response.status_code == 200

    batch = await terminal_batch(client, auth, created["id"])
    assert batch["status_code"] == "cancelled"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (2, 0, 6)
    manifest = batch["output"]["items"]
    assert [entry["output"] for entry in manifest[:2]] == [
        {"message": "fast-0"},
        {"message": "fast-1"},
    ]
    assert {entry["status_code"] for entry in manifest[2:]} == {"cancelled"}
    assert Decimal(batch["cost"]) == 2 * ECHO_PRICE


async def test_run_records_logs_node_runs_and_cost_breakdown(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "hello"}])
    await terminal_batch(client, auth, created["id"])
    run_id = created["items"][0]["run_id"]

    run = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
    node_runs = (await client.get(f"/v1/runs/{run_id}/node-runs", headers=auth)).json()["items"]

    assert run["status_code"] == "succeeded"
    assert run["output"] == {"message": "hello"}
    assert run["cost"] == "0.0001"
    assert run["cost_breakdown"]["total"] == "0.0001"
    assert (run["nodes_total"], run["nodes_completed"]) == (1, 1)
    assert run["has_node_runs"] is True
    assert run["batch_id"] == created["id"]
    assert [node["state_code"] for node in node_runs] == ["succeeded"]
    assert len(node_runs[0]["input_signature"]) == 64

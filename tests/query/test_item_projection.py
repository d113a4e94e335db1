"""`fields=` projection and `embed=run` on batch items: exactly the asked-for keys (plus `id`),
the same values as the unprojected list, whole runs equal to what the run endpoints return, and
the same number of SQL statements for a page of 5 as for a page of 50."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from runflow.db.engine import Database
from runflow.engine.models import NodeRun, RunLog
from tests.batches.helpers import create_batch
from tests.engine.polling import terminal_batch
from tests.query.helpers import get_page, make_dataset, set_runs

ITEM_FIELDS = {
    "id",
    "batch_id",
    "sequence_index",
    "run_id",
    "created_at",
    "client_ref",
    "status_code",
    "input",
    "cost",
    "output",
    "error",
    "started_at",
    "completed_at",
}
# The run object of the contract (`embed=run`).
RUN_FIELDS = {
    "id",
    "flow_id",
    "model_id",
    "comfyui_workflow_id",
    "target_type",
    "target_version",
    "org_id",
    "status_code",
    "source_code",
    "input",
    "output",
    "context",
    "duration_ms",
    "cost",
    "cost_breakdown",
    "nodes_total",
    "nodes_completed",
    "resolved_template_id",
    "batch_id",
    "client_ref",
    "jurisdiction_code",
    "flow_version_id",
    "request_id",
    "created_by",
    "created_at",
    "started_at",
    "completed_at",
    "callback_url",
    "metadata",
    "has_logs",
    "has_node_runs",
    "links",
    "failure_code",
    "failure_message",
    "failure_stage_code",
    "node_runs",
    "logs",
    "model",
}
MODEL_RELATIONS = ("inputs", "outputs", "examples", "faq_entries", "pricing", "related_links")


async def test_default_items_carry_every_contract_field_and_a_null_run(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    dataset = await make_dataset(client, auth, database, size=6)
    page = await get_page(client, auth, dataset.batch_id)
    for item in page["items"]:
        assert set(item) == ITEM_FIELDS | {"run"}
        assert item["run"] is None
    assert set(page) == {"items", "first", "next", "previous"}


async def test_each_projection_returns_exactly_its_fields_with_unchanged_values(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    dataset = await make_dataset(client, auth, database, size=14)
    full = {item["id"]: item for item in (await get_page(client, auth, dataset.batch_id))["items"]}
    projections = [
        "id,status_code",
        "status_code",
        "error,cost",
        "input,output",
        "started_at,completed_at,client_ref,sequence_index",
        "id",
        *sorted(ITEM_FIELDS),
        ",".join(sorted(ITEM_FIELDS)),
    ]
    for fields in projections:
        wanted = {name.strip() for name in fields.split(",")} | {"id"}
        page = await get_page(client, auth, dataset.batch_id, fields=fields)
        assert [item["id"] for item in page["items"]] == list(full), fields
        for item in page["items"]:
            assert set(item) == wanted, (fields, sorted(item))
            assert item == {name: full[item["id"]][name] for name in wanted}, fields


async def test_error_and_cost_projection_of_failed_and_priced_runs(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
    failed, priced = (uuid.UUID(handle["run_id"]) for handle in created["items"])
    await set_runs(
        database,
        {
            failed: {
                "status_code": "failed",
                "failure_code": "MODEL_ERROR",
                "failure_message": "asked to fail",
                "failure_stage_code": "execution",
                "cost": Decimal(0),
            },
            priced: {"status_code": "succeeded", "cost": Decimal("0.0125")},
        },
    )
    page = await get_page(client, auth, created["id"], fields="error,cost")
    assert page["items"] == [
        {
            "id": created["items"][0]["id"],
            "error": {"code": "MODEL_ERROR", "message": "asked to fail", "stage": "execution"},
            "cost": "0",
        },
        {"id": created["items"][1]["id"], "error": None, "cost": "0.0125"},
    ]


async def test_projection_with_embed_keeps_the_run(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}])
    page = await get_page(client, auth, created["id"], fields="status_code", embed="run")
    [item] = page["items"]
    assert set(item) == {"id", "status_code", "run"}
    assert item["run"]["id"] == created["items"][0]["run_id"]
    # Without `run_id` among the fields, the run is still the item's own.
    page = await get_page(client, auth, created["id"], fields="id", embed="run")
    assert set(page["items"][0]) == {"id", "run"}


@pytest.mark.engine(worker_concurrency=4)
async def test_embedded_run_equals_the_run_endpoints(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(
        client,
        auth,
        [{"message": "one", "client_ref": "r1"}, {"fail": True, "fail_message": "no"}, {}],
    )
    await terminal_batch(client, auth, created["id"])
    model = (await client.get("/v1/models/runflow/echo", headers=auth)).json()
    page = await get_page(client, auth, created["id"], embed="run")
    assert len(page["items"]) == 3
    for item in page["items"]:
        run = item["run"]
        assert set(run) == RUN_FIELDS, sorted(set(run) ^ RUN_FIELDS)
        plain = (await client.get(f"/v1/runs/{item['run_id']}", headers=auth)).json()
        assert {key: run[key] for key in plain} == plain
        node_runs = await client.get(f"/v1/runs/{item['run_id']}/node-runs", headers=auth)
        assert run["node_runs"] == node_runs.json()["items"]
        assert run["node_runs"], "echo runs have a node run"
        logs = await client.get(f"/v1/runs/{item['run_id']}/logs", headers=auth)
        assert run["logs"] == logs.json()["items"]
        assert run["has_node_runs"] == bool(run["node_runs"])
        assert run["has_logs"] == bool(run["logs"])
        assert run["model"] == model
        for relation in MODEL_RELATIONS:
            assert isinstance(run["model"][relation], list), relation
        # The item's live state is its run's.
        assert item["status_code"] == run["status_code"]
        assert item["cost"] == run["cost"]
        assert item["output"] == run["output"]
    assert [item["run"]["status_code"] for item in page["items"]] == [
        "succeeded",
        "failed",
        "succeeded",
    ]


async def _give_runs_details(database: Database, run_ids: list[uuid.UUID]) -> None:
    """Two node runs and three logs per run, straight into the tables."""
    async with database.transaction() as session:
        for run_id in run_ids:
            for n in range(2):
                session.add(
                    NodeRun(
                        run_id=run_id,
                        node_id=uuid.uuid4(),
                        node_key=f"node{n}",
                        node_type="echo",
                        state_code="succeeded",
                        input_signature=f"{run_id.hex}{n}",
                    )
                )
            for n in range(3):
                session.add(RunLog(run_id=run_id, level_code="info", message=f"log {n}"))


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements this task runs on the app's engine while the block runs."""
    task = asyncio.current_task()
    seen: list[str] = []

    def record(*args: Any) -> None:
        if asyncio.current_task() is task:
            seen.append(str(args[2]))

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_embed_run_costs_the_same_statements_for_5_items_as_for_50(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    created = await create_batch(client, auth, [{"message": f"m{i}"} for i in range(60)])
    await _give_runs_details(database, [uuid.UUID(handle["run_id"]) for handle in created["items"]])
    url = f"/v1/batches/{created['id']}/items"
    counts: dict[int, int] = {}
    for limit in (5, 50, 5):
        with _statements(database) as seen:
            response = await client.get(url, headers=auth, params={"limit": limit, "embed": "run"})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert len(items) == limit
        assert all(len(item["run"]["node_runs"]) == 2 for item in items)
        assert all(len(item["run"]["logs"]) == 3 for item in items)
        assert seen, "the statement counter saw nothing"
        counts.setdefault(limit, len(seen))
        assert counts[limit] == len(seen), "the same page costs a different number of queries"
    assert counts[5] == counts[50], counts
    with _statements(database) as plain:
        assert (await client.get(url, headers=auth, params={"limit": 50})).status_code == 200
    # The embedding adds the runs, their node runs, their logs and their models with each of
    # the model's relations: a fixed handful, not one per item.
    assert counts[50] - len(plain) <= 4 + len(MODEL_RELATIONS), (counts, len(plain))


async def test_unrequested_json_columns_are_not_read(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
    url = f"/v1/batches/{created['id']}/items"
    with _statements(database) as lean:
        response = await client.get(url, headers=auth, params={"fields": "id,status_code"})
    assert response.status_code == 200, response.text
    with _statements(database) as full:
        assert (await client.get(url, headers=auth)).status_code == 200
    [lean_select] = [sql for sql in lean if "FROM batch_items" in sql]
    [full_select] = [sql for sql in full if "FROM batch_items" in sql]
    for column in ("runs.input", "runs.output"):
        assert column not in lean_select
        assert column in full_select

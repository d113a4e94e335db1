"""Single runs: create, read, cancel, logs, node runs, outputs."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.engine.polling import create_batch, eventually, terminal_batch, terminal_run

pytestmark = pytest.mark.engine(worker_concurrency=4)


async def post_run(
    client: httpx.AsyncClient, auth: dict[str, str], model: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(f"/v1/models/{model}/runs", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_single_echo_run_succeeds_with_logs_and_node_runs(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await post_run(client, auth, "runflow/echo", {"input": {"message": "solo"}})
    assert created["status_code"] == "queued"
    assert created["batch_id"] is None

    run = await terminal_run(client, auth, created["id"])

    assert run["status_code"] == "succeeded"
    assert run["output"] == {"message": "solo"}
    assert run["cost"] == "0.0001"
    assert run["duration_ms"] is not None
    nodes = (await client.get(f"/v1/runs/{run['id']}/node-runs", headers=auth)).json()["items"]
    assert [node["state_code"] for node in nodes] == ["succeeded"]
    logs = (await client.get(f"/v1/runs/{run['id']}/logs", headers=auth)).json()["items"]
    assert isinstance(logs, list)


async def test_failed_run_reports_its_failure_and_costs_nothing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await post_run(
        client, auth, "runflow/echo", {"input": {"fail": True, "fail_message": "no"}}
    )
    run = await terminal_run(client, auth, created["id"])
    assert run["status_code"] == "failed"
    assert (run["failure_code"], run["failure_message"], run["failure_stage_code"]) == (
        "MODEL_ERROR",
        "no",
        "execution",
    )
    assert run["cost"] == "0"
    logs = (await client.get(f"/v1/runs/{run['id']}/logs", headers=auth)).json()["items"]
    assert [log["level_code"] for log in logs] == ["error"]


async def test_cancelling_a_running_run_ends_it_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await post_run(client, auth, "runflow/echo", {"input": {"delay_ms": 60_000}})

    async def running() -> bool:
        run = (await client.get(f"/v1/runs/{created['id']}", headers=auth)).json()
        return bool(run["status_code"] == "running")

    await eventually(running)
    response = await client.post(f"/v1/runs/{created['id']}/cancel", headers=auth)
    assert response.status_code == 200
    run = await terminal_run(client, auth, created["id"])
    assert run["status_code"] == "cancelled"
    assert run["cost"] == "0"
    again = await client.post(f"/v1/runs/{created['id']}/cancel", headers=auth)
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


@pytest.mark.engine(worker_concurrency=1)
async def test_cancelling_one_queued_item_counts_in_its_batch(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # One slot: the first item runs for a while, the second waits in the queue.
    # The first item must still run when the cancel arrives, however slow the machine.
    created = await create_batch(client, auth, [{"delay_ms": 3_000}, {"message": "later"}])
    queued_run = created["items"][1]["run_id"]

    response = await client.post(f"/v1/runs/{queued_run}/cancel", headers=auth)
    assert response.status_code == 200
    assert response.json()["status_code"] == "cancelled"

    batch = await terminal_batch(client, auth, created["id"])
    assert batch["status_code"] == "partially_succeeded"
    assert (batch["items_succeeded"], batch["items_failed"], batch["items_cancelled"]) == (1, 0, 1)


async def test_invalid_run_input_is_rejected_and_nothing_is_created(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/models/runflow/echo/runs", json={"input": {"delay_ms": -1}}, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "input", "delay_ms"]
    assert (await client.get("/v1/runs", headers=auth)).json()["items"] == []


async def test_unknown_run_is_not_found(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    missing = "01a20000-0000-7000-8000-000000000000"
    for path in (
        f"/v1/runs/{missing}",
        f"/v1/runs/{missing}/logs",
        f"/v1/runs/{missing}/node-runs",
    ):
        response = await client.get(path, headers=auth)
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


async def test_txt2img_output_downloads_and_seed_reruns_hit_the_node_cache(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    base = {"prompt": "a lighthouse at dusk", "width": 128, "height": 96, "steps": 4}
    first = await terminal_run(
        client,
        auth,
        (await post_run(client, auth, "runflow/txt2img", {"input": {**base, "seed": 1}}))["id"],
    )
    second = await terminal_run(
        client,
        auth,
        (await post_run(client, auth, "runflow/txt2img", {"input": {**base, "seed": 2}}))["id"],
    )

    assert first["status_code"] == second["status_code"] == "succeeded"
    assert (first["nodes_total"], first["nodes_completed"]) == (5, 5)
    # A signed URL: downloads with no API key.
    image = await client.get(first["output"]["images"][0].removeprefix("http://127.0.0.1:8000"))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (128, 96)
    nodes = (await client.get(f"/v1/runs/{second['id']}/node-runs", headers=auth)).json()["items"]
    states = {node["input_signature"][:8]: node["state_code"] for node in nodes}
    assert sorted(states.values()).count("cached") == 1  # the prompt encoding; the rest reran
    assert Decimal(first["cost"]) > 0


async def test_face_detect_runs_on_a_data_uri(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 120, 120)).save(buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    created = await post_run(client, auth, "runflow/face-detect", {"input": {"image": uri}})
    run = await terminal_run(client, auth, created["id"])
    assert run["status_code"] == "succeeded"
    assert run["output"]["count"] == 0
    assert run["output"]["faces"] == []

"""A second chance (DESIGN §17): re-run a run with overrides, retry a batch's failed items."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.batches.helpers import assert_error
from tests.conftest import MakeKey
from tests.engine.polling import create_batch, terminal_batch, terminal_run

pytestmark = pytest.mark.engine(worker_concurrency=8)


async def run_ids(client: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    return [run["id"] for run in (await client.get("/v1/runs", headers=auth)).json()["items"]]


async def test_a_rerun_keeps_the_stored_input_and_recorded_seed_under_overrides(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/models/runflow/txt2img/runs",
        json={
            "input": {"prompt": "a red fox", "width": 64, "height": 64, "steps": 1},
            "metadata": {"job": "a"},
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    original = await terminal_run(client, auth, created.json()["id"])
    seed = original["input"]["seed"]

    same = await client.post(f"/v1/runs/{original['id']}/rerun", json={}, headers=auth)
    changed = await client.post(
        f"/v1/runs/{original['id']}/rerun", json={"input": {"width": 128}}, headers=auth
    )

    assert same.status_code == 201, same.text
    assert changed.status_code == 201, changed.text
    again = await terminal_run(client, auth, same.json()["id"])
    wider = await terminal_run(client, auth, changed.json()["id"])
    assert again["input"] == original["input"]
    assert again["links"]["rerun_of"] == f"/v1/runs/{original['id']}"
    assert again["metadata"] == {"job": "a"}
    assert (wider["input"]["seed"], wider["input"]["width"]) == (seed, 128)
    assert again["status_code"] == wider["status_code"] == "succeeded"


async def test_a_run_of_a_batch_reruns_on_its_own_once_per_idempotency_key(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    batch = await create_batch(client, auth, [{"message": "first"}])
    done = await terminal_batch(client, auth, batch["id"])
    run_id = done["items"][0]["run_id"]
    keyed = {**auth, "Idempotency-Key": "rerun-once"}

    first = await client.post(f"/v1/runs/{run_id}/rerun", json={}, headers=keyed)
    replay = await client.post(f"/v1/runs/{run_id}/rerun", json={}, headers=keyed)
    # Every field is optional, and so is the body: none is the same request as `{}`.
    bare = await client.post(f"/v1/runs/{run_id}/rerun", headers=keyed)
    other = await client.post(
        f"/v1/runs/{run_id}/rerun", json={"input": {"message": "x"}}, headers=keyed
    )

    assert first.status_code == 201, first.text
    assert replay.json()["id"] == bare.json()["id"] == first.json()["id"]
    assert_error(other, 409, "CONFLICT")
    rerun = await terminal_run(client, auth, first.json()["id"])
    assert rerun["batch_id"] is None
    assert rerun["output"] == {"message": "first"}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"input": {"message": 7}}, ["body", "input", "message"]),
        ({"input": {"delay_ms": -1}}, ["body", "input", "delay_ms"]),
        ({"input": {"nope": 1}}, ["body", "input", "nope"]),
        ({"input": "text"}, ["body", "input"]),
        ({"callback_url": "http://169.254.169.254/x"}, ["body", "callback_url"]),
        ({"extra": True}, ["body", "extra"]),
    ],
    ids=["wrong-type", "out-of-range", "unknown-input", "not-an-object", "blocked-url", "extra"],
)
async def test_bad_overrides_get_422_and_create_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], loc: list[Any]
) -> None:
    batch = await create_batch(client, auth, [{"message": "m"}])
    run_id = batch["items"][0]["run_id"]
    before = await run_ids(client, auth)

    response = await client.post(f"/v1/runs/{run_id}/rerun", json=body, headers=auth)

    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert loc in [list(problem["loc"]) for problem in error["errors"]], error
    assert await run_ids(client, auth) == before


async def test_another_orgs_run_and_batch_are_404(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    batch = await create_batch(client, auth, [{"message": "m"}])
    await terminal_batch(client, auth, batch["id"])
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    run_id = batch["items"][0]["run_id"]

    assert_error(
        await client.post(f"/v1/runs/{run_id}/rerun", json={}, headers=other), 404, "NOT_FOUND"
    )
    assert_error(
        await client.post(f"/v1/batches/{batch['id']}/retry", json={}, headers=other),
        404,
        "NOT_FOUND",
    )


async def test_a_retry_runs_the_failed_items_again_with_their_client_refs(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    items = [
        {"message": "ok", "client_ref": "a"},
        {"fail": True, "fail_message": "boom", "client_ref": "b"},
        {"message": "ok too"},
        {"fail": True, "client_ref": "d"},
    ]
    response = await client.post(
        "/v1/models/runflow/echo/batches",
        json={
            "input": items,
            "metadata": {"project": "p"},
            "callback_url": "http://127.0.0.1:9/h",
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    original = await terminal_batch(client, auth, response.json()["id"])
    assert original["status_code"] == "partially_succeeded"

    # No body at all: every field is optional.
    retried = await client.post(f"/v1/batches/{original['id']}/retry", headers=auth)

    assert retried.status_code == 201, retried.text
    retry = retried.json()
    assert retry["links"]["retry_of"] == f"/v1/batches/{original['id']}"
    assert [item["client_ref"] for item in retry["items"]] == ["b", "d"]
    assert retry["items_total"] == 2
    assert retry["metadata"] == {"project": "p"}
    assert retry["callback_url"] == "http://127.0.0.1:9/h"
    done = await terminal_batch(client, auth, retry["id"])
    assert done["status_code"] == "failed"  # echo fails them again: same inputs
    errors = [entry["error"]["message"] for entry in done["output"]["items"]]
    assert errors[0] == "boom"

    succeeded_again = await client.post(
        f"/v1/batches/{original['id']}/retry",
        json={"status_codes": ["succeeded"], "callback_url": "http://127.0.0.1:9/other"},
        headers=auth,
    )
    assert succeeded_again.status_code == 201, succeeded_again.text
    assert [item["client_ref"] for item in succeeded_again.json()["items"]] == ["a", None]
    assert succeeded_again.json()["callback_url"] == "http://127.0.0.1:9/other"


async def test_a_retry_is_refused_while_the_batch_runs_or_when_nothing_matches(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    slow = await create_batch(client, auth, [{"message": "m", "delay_ms": 60000}])
    running = await client.post(f"/v1/batches/{slow['id']}/retry", json={}, headers=auth)
    assert_error(running, 409, "CONFLICT")
    assert "still" in running.json()["message"]
    await client.post(f"/v1/batches/{slow['id']}/cancel", headers=auth)

    good = await create_batch(client, auth, [{"message": "m"}])
    await terminal_batch(client, auth, good["id"])
    nothing = await client.post(f"/v1/batches/{good['id']}/retry", json={}, headers=auth)
    assert_error(nothing, 409, "CONFLICT")
    assert "nothing to retry" in nothing.json()["message"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"status_codes": ["exploded"]}, ["body", "status_codes", 0]),
        ({"status_codes": []}, ["body", "status_codes"]),
        ({"status_codes": "failed"}, ["body", "status_codes"]),
        ({"callback_url": "ftp://x"}, ["body", "callback_url"]),
        ({"input": []}, ["body", "input"]),
    ],
    ids=["unknown-status", "empty", "not-a-list", "bad-callback", "unknown-field"],
)
async def test_bad_retry_bodies_get_422(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], loc: list[Any]
) -> None:
    batch = await create_batch(client, auth, [{"fail": True}])
    await terminal_batch(client, auth, batch["id"])

    response = await client.post(f"/v1/batches/{batch['id']}/retry", json=body, headers=auth)

    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert loc in [list(problem["loc"])[: len(loc)] for problem in error["errors"]], error
    listed = (await client.get("/v1/batches", headers=auth)).json()["items"]
    assert len(listed) == 1

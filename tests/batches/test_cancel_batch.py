"""POST /v1/batches/{id}/cancel on a queued batch (no worker runs in these tests)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx

from tests.batches.helpers import (
    assert_error,
    create_batch,
    get_json,
    is_datetime,
    is_int,
    list_items,
)
from tests.conftest import MakeKey

ITEMS: list[dict[str, Any]] = [
    {"message": "a", "client_ref": "first"},
    {"message": "b"},
    {"message": "c", "client_ref": "third"},
]

MANIFEST_ENTRY_FIELDS = {"sequence_index", "client_ref", "run_id", "status_code", "output", "error"}


async def _cancel(client: httpx.AsyncClient, auth: dict[str, str], batch_id: str) -> httpx.Response:
    return await client.post(f"/v1/batches/{batch_id}/cancel", headers=auth)


async def _created_and_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    created = await create_batch(client, auth, ITEMS)
    response = await _cancel(client, auth, created["id"])
    assert response.status_code == 200, response.text
    cancelled: dict[str, Any] = response.json()
    return created, cancelled


async def test_cancel_of_a_queued_batch_ends_it_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created, cancelled = await _created_and_cancelled(client, auth)

    assert cancelled["id"] == created["id"]
    assert cancelled["status_code"] == "cancelled"
    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")
    assert detail["status_code"] == "cancelled"


async def test_cancel_counts_every_item_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    _, cancelled = await _created_and_cancelled(client, auth)

    assert cancelled["items_total"] == len(ITEMS)
    assert cancelled["items_cancelled"] == cancelled["items_total"]
    assert cancelled["items_succeeded"] == 0
    assert cancelled["items_failed"] == 0


async def test_cancel_marks_every_inline_item_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    _, cancelled = await _created_and_cancelled(client, auth)

    assert [item["status_code"] for item in cancelled["items"]] == ["cancelled"] * len(ITEMS)


async def test_cancelled_items_show_cancelled_runs_at_zero_cost(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created, _ = await _created_and_cancelled(client, auth)

    page = await list_items(client, auth, created["id"])

    assert len(page["items"]) == len(ITEMS)
    for item in page["items"]:
        assert item["status_code"] == "cancelled"
        assert item["cost"] == "0"
        assert is_datetime(item["completed_at"])


async def test_cancelled_batch_costs_zero(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    _, cancelled = await _created_and_cancelled(client, auth)

    assert cancelled["cost"] == "0"


async def test_cancel_writes_the_output_manifest_in_sequence_order(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created, cancelled = await _created_and_cancelled(client, auth)

    manifest = cancelled["output"]
    assert set(manifest) == {"items"}
    entries = manifest["items"]
    for entry in entries:
        assert set(entry) == MANIFEST_ENTRY_FIELDS, entry
        assert entry["status_code"] == "cancelled"
        assert entry["output"] is None
    assert [entry["sequence_index"] for entry in entries] == [0, 1, 2]
    assert [entry["client_ref"] for entry in entries] == ["first", None, "third"]
    assert [entry["run_id"] for entry in entries] == [h["run_id"] for h in created["items"]]


async def test_cancel_output_manifest_is_stored_on_the_batch(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created, cancelled = await _created_and_cancelled(client, auth)

    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")

    assert detail["output"] == cancelled["output"]


async def test_cancel_sets_completed_at_and_duration(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created, cancelled = await _created_and_cancelled(client, auth)

    assert is_datetime(cancelled["completed_at"])
    completed_at = datetime.fromisoformat(cancelled["completed_at"])
    assert completed_at >= datetime.fromisoformat(created["created_at"])
    assert is_int(cancelled["duration_ms"])
    assert cancelled["duration_ms"] >= 0


async def test_cancel_of_a_cancelled_batch_is_conflict(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created, cancelled = await _created_and_cancelled(client, auth)

    response = await _cancel(client, auth, created["id"])

    assert_error(response, 409, "CONFLICT")
    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")
    assert detail["completed_at"] == cancelled["completed_at"]
    assert detail["items_cancelled"] == len(ITEMS)


async def test_cancel_of_unknown_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await _cancel(client, auth, str(uuid.uuid4()))

    assert_error(response, 404, "NOT_FOUND")


async def test_cancel_of_another_orgs_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    created = await create_batch(client, auth, ITEMS)
    other = {"Authorization": f"Bearer {await make_key(org='other', email='dev@other.test')}"}

    response = await _cancel(client, other, created["id"])

    assert_error(response, 404, "NOT_FOUND")
    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")
    assert detail["status_code"] == "queued"


async def test_cancel_with_malformed_id_is_validation_error(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await _cancel(client, auth, "not-a-uuid")

    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [error_["loc"] for error_ in error["errors"]] == [["path", "id"]]

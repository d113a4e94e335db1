"""Creating a batch over HTTP and reading it back: detail, list, items pages, callback history."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.batches.helpers import (
    TXT2IMG,
    create_batch,
    get_json,
    is_datetime,
    is_int,
    is_money,
    is_uuid,
    list_items,
)
from tests.conftest import MakeKey, RowCounts

CREATE_RESPONSE_FIELDS = {
    "id",
    "target_type",
    "target_id",
    "status_code",
    "items_total",
    "items_succeeded",
    "items_failed",
    "items_cancelled",
    "items",
    "created_at",
    "output",
    "cost",
    "metadata",
    "callback_url",
    "started_at",
    "completed_at",
}

FULL_VALIDATOR_FIELDS = {
    "id",
    "org_id",
    "target_type_code",
    "target_type",
    "target_id",
    "status_code",
    "source_code",
    "items_total",
    "items_succeeded",
    "items_failed",
    "items_cancelled",
    "input",
    "resolved_template_id",
    "dispatch_provider_link_id",
    "cost",
    "output",
    "metadata",
    "callback_url",
    "duration_ms",
    "failure_code",
    "failure_message",
    "failure_stage_code",
    "created_by",
    "created_at",
    "started_at",
    "completed_at",
    "links",
    "items",
}

HANDLE_FIELDS = {"id", "sequence_index", "run_id", "status_code", "client_ref"}

# Loopback, which the test settings open to callbacks; nothing listens on port 9.
CALLBACK_URL = "http://127.0.0.1:9/hooks/runflow"


def _nullable(check: Any, value: Any) -> bool:
    return value is None or bool(check(value))


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _assert_handle(handle: dict[str, Any]) -> None:
    assert set(handle) == HANDLE_FIELDS, handle
    assert is_uuid(handle["id"])
    assert is_int(handle["sequence_index"])
    assert is_uuid(handle["run_id"])
    assert isinstance(handle["status_code"], str)
    assert _nullable(_is_str, handle["client_ref"])


# --- POST /v1/models/{owner}/{slug}/batches -----------------------------------------------


async def test_create_returns_201_with_every_contract_field_typed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/models/runflow/echo/batches",
        json={"input": [{"message": "a"}, {"message": "b"}]},
        headers=auth,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == CREATE_RESPONSE_FIELDS
    assert is_uuid(body["id"])
    assert body["target_type"] == "model"
    assert is_uuid(body["target_id"])
    assert body["status_code"] == "queued"
    assert body["items_total"] == 2
    for counter in ("items_succeeded", "items_failed", "items_cancelled"):
        assert is_int(body[counter])
        assert body[counter] == 0
    assert is_datetime(body["created_at"])
    assert _nullable(_is_dict, body["output"])
    assert is_money(body["cost"])
    assert _nullable(_is_dict, body["metadata"])
    assert _nullable(_is_str, body["callback_url"])
    assert body["started_at"] is None
    assert body["completed_at"] is None


async def test_create_response_items_are_handles_in_sequence_order(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(
        client, auth, [{"client_ref": "first"}, {}, {"client_ref": "third"}]
    )

    items = created["items"]
    for handle in items:
        _assert_handle(handle)
    assert [handle["sequence_index"] for handle in items] == [0, 1, 2]
    assert [handle["client_ref"] for handle in items] == ["first", None, "third"]
    assert {handle["status_code"] for handle in items} == {"queued"}
    assert len({handle["id"] for handle in items}) == 3
    assert len({handle["run_id"] for handle in items}) == 3


async def test_create_writes_one_batch_with_one_item_and_one_run_per_input(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    await create_batch(client, auth, [{}, {}, {}])

    counts = await row_counts()
    assert counts["batches"] == 1
    assert counts["batch_items"] == 3
    assert counts["runs"] == 3


async def test_batch_of_100_items_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    created = await create_batch(client, auth, [{"message": str(i)} for i in range(100)])

    assert created["items_total"] == 100
    assert [handle["sequence_index"] for handle in created["items"]] == list(range(100))
    counts = await row_counts()
    assert counts["batch_items"] == 100
    assert counts["runs"] == 100


async def test_metadata_and_callback_url_round_trip(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    metadata = {"campaign": "spring", "n": 3, "nested": {"ok": True, "tags": ["a", "b"]}}

    created = await create_batch(client, auth, [{}], metadata=metadata, callback_url=CALLBACK_URL)
    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")

    assert created["metadata"] == metadata
    assert created["callback_url"] == CALLBACK_URL
    assert detail["metadata"] == metadata
    assert detail["callback_url"] == CALLBACK_URL


async def test_batches_created_at_once_are_each_complete(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    """Concurrent creates share transactions (`db/group_commit.py`): each gets its own rows."""
    bodies = [[{"message": f"{n}-{i}"} for i in range(n % 5 + 1)] for n in range(20)]

    created = await asyncio.gather(*(create_batch(client, auth, items) for items in bodies))

    assert len({batch["id"] for batch in created}) == 20
    for batch, items in zip(created, bodies, strict=True):
        detail = await get_json(client, auth, f"/v1/batches/{batch['id']}")
        assert detail["input"] == items
        assert [handle["id"] for handle in detail["items"]] == [
            handle["id"] for handle in batch["items"]
        ]
    counts = await row_counts()
    assert counts["batches"] == 20
    assert counts["runs"] == counts["batch_items"] == sum(len(items) for items in bodies)


async def test_metadata_numbers_come_back_exactly_however_long(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    metadata = {
        "beyond_64_bits": 2**70,
        "largest_64_bit": 2**63 - 1,
        "negative": -(2**65),
        "long_fraction": 0.1234567890123456789,
        "in_a_list": [12345678901234567890123, 1],
    }

    created = await create_batch(client, auth, [{}], metadata=metadata)
    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")

    assert detail["metadata"] == metadata
    assert type(detail["metadata"]["beyond_64_bits"]) is int


# --- GET /v1/batches/{id} -----------------------------------------------------------------


async def test_detail_returns_every_full_validator_field_with_contract_types(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])

    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")

    assert set(detail) == FULL_VALIDATOR_FIELDS
    assert detail["id"] == created["id"]
    assert is_uuid(detail["org_id"])
    assert detail["target_type_code"] == "model"
    assert detail["target_type"] == "model"
    assert detail["target_id"] == created["target_id"]
    assert detail["status_code"] == "queued"
    assert _nullable(_is_str, detail["source_code"])
    assert detail["items_total"] == 2
    for counter in ("items_succeeded", "items_failed", "items_cancelled"):
        assert is_int(detail[counter])
    assert isinstance(detail["input"], list)
    assert all(isinstance(item, dict) for item in detail["input"])
    assert _nullable(is_uuid, detail["resolved_template_id"])
    assert _nullable(is_uuid, detail["dispatch_provider_link_id"])
    assert is_money(detail["cost"])
    assert _nullable(_is_dict, detail["output"])
    assert _nullable(_is_dict, detail["metadata"])
    assert _nullable(_is_str, detail["callback_url"])
    assert _nullable(is_int, detail["duration_ms"])
    assert detail["failure_code"] is None
    assert detail["failure_message"] is None
    assert detail["failure_stage_code"] is None
    assert is_uuid(detail["created_by"])
    assert is_datetime(detail["created_at"])
    assert detail["started_at"] is None
    assert detail["completed_at"] is None
    assert _nullable(_is_dict, detail["links"])
    assert isinstance(detail["items"], list)
    for handle in detail["items"]:
        _assert_handle(handle)


async def test_detail_inline_items_are_in_sequence_order_with_client_ref(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    refs = [f"ref-{i}" for i in range(12)]
    created = await create_batch(client, auth, [{"client_ref": ref} for ref in refs])

    detail = await get_json(client, auth, f"/v1/batches/{created['id']}")

    assert [handle["sequence_index"] for handle in detail["items"]] == list(range(12))
    assert [handle["client_ref"] for handle in detail["items"]] == refs
    assert detail["items"] == created["items"]


async def test_detail_of_unknown_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(f"/v1/batches/{uuid.uuid4()}", headers=auth)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_detail_of_another_orgs_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    created = await create_batch(client, auth, [{}])
    other = {"Authorization": f"Bearer {await make_key(org='other', email='dev@other.test')}"}

    response = await client.get(f"/v1/batches/{created['id']}", headers=other)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


# --- run inputs: defaults and client_ref ---------------------------------------------------


async def test_echo_defaults_are_filled_into_the_run_input(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{}])

    page = await list_items(client, auth, created["id"])

    run_input = page["items"][0]["input"]
    assert run_input["message"] == ""
    assert run_input["delay_ms"] == 0
    assert run_input["fail"] is False


async def test_given_inputs_are_kept_over_defaults(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "hi", "delay_ms": 5, "fail": True}])

    page = await list_items(client, auth, created["id"])

    run_input = page["items"][0]["input"]
    assert run_input["message"] == "hi"
    assert run_input["delay_ms"] == 5
    assert run_input["fail"] is True


async def test_txt2img_without_seed_records_an_integer_seed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"prompt": "a lighthouse"}], path=TXT2IMG)

    page = await list_items(client, auth, created["id"])

    run_input = page["items"][0]["input"]
    assert is_int(run_input["seed"])
    assert run_input["seed"] >= 0
    assert run_input["width"] == 512
    assert run_input["height"] == 512
    assert run_input["steps"] == 20


async def test_txt2img_given_seed_is_kept(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await create_batch(client, auth, [{"prompt": "x", "seed": 42}], path=TXT2IMG)

    page = await list_items(client, auth, created["id"])

    assert page["items"][0]["input"]["seed"] == 42


async def test_client_ref_is_removed_from_the_run_input(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "m", "client_ref": "order-17"}])

    page = await list_items(client, auth, created["id"])

    item = page["items"][0]
    assert item["client_ref"] == "order-17"
    assert "client_ref" not in item["input"]
    assert item["input"]["message"] == "m"


# --- GET /v1/batches ----------------------------------------------------------------------


async def test_list_batches_is_newest_first(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = [(await create_batch(client, auth, [{}]))["id"] for _ in range(3)]

    listed = await get_json(client, auth, "/v1/batches")

    assert [batch["id"] for batch in listed["items"]] == list(reversed(ids))


async def test_list_batches_honours_limit(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    ids = [(await create_batch(client, auth, [{}]))["id"] for _ in range(4)]

    listed = await get_json(client, auth, "/v1/batches", limit=2)

    assert [batch["id"] for batch in listed["items"]] == [ids[3], ids[2]]


async def test_list_batches_shows_only_the_callers_org(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    mine = await create_batch(client, auth, [{}])
    other = {"Authorization": f"Bearer {await make_key(org='other', email='dev@other.test')}"}
    await create_batch(client, other, [{}])

    listed = await get_json(client, auth, "/v1/batches")

    assert [batch["id"] for batch in listed["items"]] == [mine["id"]]


# --- GET /v1/batches/{batch_id}/items -------------------------------------------------------


async def test_items_pages_forward_with_next_visit_every_item_once(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"client_ref": f"r{i}"} for i in range(7)])
    batch_id = created["id"]

    seen: list[int] = []
    sizes: list[int] = []
    page = await list_items(client, auth, batch_id, limit=3)
    while True:
        sizes.append(len(page["items"]))
        seen.extend(item["sequence_index"] for item in page["items"])
        if page["next"] is None:
            break
        page = await list_items(client, auth, batch_id, limit=3, pq=page["next"])

    assert seen == list(range(7))
    assert sizes == [3, 3, 1]


async def test_items_first_page_has_no_previous(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{} for _ in range(5)])

    page = await list_items(client, auth, created["id"], limit=2)

    assert page["previous"] is None
    assert isinstance(page["first"], str)
    assert isinstance(page["next"], str)


async def test_items_pages_backward_with_previous_and_from_prev(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{} for _ in range(7)])
    batch_id = created["id"]
    page = await list_items(client, auth, batch_id, limit=3)
    while page["next"] is not None:
        page = await list_items(client, auth, batch_id, limit=3, pq=page["next"])

    pages_back: list[list[int]] = [[item["sequence_index"] for item in page["items"]]]
    while page["previous"] is not None:
        page = await list_items(
            client, auth, batch_id, limit=3, pq=page["previous"], from_prev="true"
        )
        pages_back.append([item["sequence_index"] for item in page["items"]])

    assert pages_back == [[6], [3, 4, 5], [0, 1, 2]]


async def test_items_first_cursor_restarts_at_the_beginning(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{} for _ in range(5)])
    first_page = await list_items(client, auth, created["id"], limit=2)
    second_page = await list_items(client, auth, created["id"], limit=2, pq=first_page["next"])

    restarted = await list_items(client, auth, created["id"], limit=2, pq=second_page["first"])

    assert restarted["items"] == first_page["items"]


async def test_items_rows_carry_live_run_state_with_contract_types(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"client_ref": "a"}, {}])

    page = await list_items(client, auth, created["id"])

    assert set(page) >= {"items", "first", "next", "previous"}
    for row, handle in zip(page["items"], created["items"], strict=True):
        assert row["id"] == handle["id"]
        assert row["batch_id"] == created["id"]
        assert row["sequence_index"] == handle["sequence_index"]
        assert row["run_id"] == handle["run_id"]
        assert row["client_ref"] == handle["client_ref"]
        assert row["status_code"] == "queued"
        assert is_datetime(row["created_at"])
        assert isinstance(row["input"], dict)
        assert _nullable(is_money, row["cost"])
        assert row["output"] is None
        assert row["error"] is None
        assert row["started_at"] is None
        assert row["completed_at"] is None


async def test_tampered_cursor_is_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{} for _ in range(5)])
    page = await list_items(client, auth, created["id"], limit=2)
    cursor: str = page["next"]
    # Change one interior character (every bit of it counts, unlike a final base64 character).
    at = len(cursor) // 3
    while "." in cursor[at : at + 2]:
        at += 1
    tampered = cursor[:at] + ("A" if cursor[at] != "A" else "B") + cursor[at + 1 :]

    response = await client.get(
        f"/v1/batches/{created['id']}/items", headers=auth, params={"limit": 2, "pq": tampered}
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "BAD_REQUEST"


async def test_garbage_cursor_is_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{}])

    response = await client.get(
        f"/v1/batches/{created['id']}/items", headers=auth, params={"pq": "not-a-cursor"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "BAD_REQUEST"


async def test_cursor_from_another_batch_is_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await create_batch(client, auth, [{} for _ in range(5)])
    second = await create_batch(client, auth, [{} for _ in range(5)])
    page = await list_items(client, auth, first["id"], limit=2)

    response = await client.get(
        f"/v1/batches/{second['id']}/items", headers=auth, params={"limit": 2, "pq": page["next"]}
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "BAD_REQUEST"


async def test_items_of_unknown_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(f"/v1/batches/{uuid.uuid4()}/items", headers=auth)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


# --- GET /v1/batches/{batch_id}/callback ----------------------------------------------------


async def test_callback_history_of_a_fresh_batch_is_empty(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{}], callback_url=CALLBACK_URL)

    history = await get_json(client, auth, f"/v1/batches/{created['id']}/callback")

    assert history == []


async def test_callback_history_of_unknown_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(f"/v1/batches/{uuid.uuid4()}/callback", headers=auth)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"

"""`Idempotency-Key` on batch creation: replays, conflicts, tenancy and concurrent retries."""

from __future__ import annotations

import asyncio

import httpx

from tests.batches.helpers import TXT2IMG, assert_error, post_batch
from tests.conftest import MakeKey, RowCounts

ITEMS = [{"message": "a", "client_ref": "one"}, {"message": "b"}]


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_same_key_and_body_replays_the_original_response(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await post_batch(client, auth, ITEMS, headers=_key("retry-1"), metadata={"x": 1})
    second = await post_batch(client, auth, ITEMS, headers=_key("retry-1"), metadata={"x": 1})

    assert first.status_code == 201, first.text
    assert second.status_code == first.status_code
    assert second.json() == first.json()


async def test_replay_carries_idempotent_replayed_header(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await post_batch(client, auth, ITEMS, headers=_key("retry-2"))
    second = await post_batch(client, auth, ITEMS, headers=_key("retry-2"))

    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"


async def test_replay_creates_only_one_batch(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    for _ in range(3):
        response = await post_batch(client, auth, ITEMS, headers=_key("retry-3"))
        assert response.status_code == 201, response.text

    counts = await row_counts()
    assert counts["batches"] == 1
    assert counts["batch_items"] == len(ITEMS)
    assert counts["runs"] == len(ITEMS)
    assert counts["idempotency_keys"] == 1


async def test_requests_without_a_key_each_create_a_batch(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    first = await post_batch(client, auth, ITEMS)
    second = await post_batch(client, auth, ITEMS)

    assert first.json()["id"] != second.json()["id"]
    assert (await row_counts())["batches"] == 2


async def test_same_key_with_a_different_body_is_conflict(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    first = await post_batch(client, auth, ITEMS, headers=_key("retry-4"))
    assert first.status_code == 201, first.text
    before = await row_counts()

    response = await post_batch(client, auth, [{"message": "other"}], headers=_key("retry-4"))

    assert_error(response, 409, "CONFLICT")
    assert await row_counts() == before


async def test_same_key_with_different_metadata_is_conflict(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    first = await post_batch(client, auth, ITEMS, headers=_key("retry-5"), metadata={"v": 1})
    assert first.status_code == 201, first.text
    before = await row_counts()

    response = await post_batch(client, auth, ITEMS, headers=_key("retry-5"), metadata={"v": 2})

    assert_error(response, 409, "CONFLICT")
    assert await row_counts() == before


async def test_same_key_on_another_model_is_conflict(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    created = await post_batch(client, auth, [{"prompt": "p"}], path=TXT2IMG, headers=_key("k6"))
    assert created.status_code == 201, created.text
    before = await row_counts()

    response = await post_batch(
        client, auth, [{"prompt": "p"}], path="/v1/models/runflow/echo/batches", headers=_key("k6")
    )

    assert_error(response, 409, "CONFLICT")
    assert await row_counts() == before


async def test_rejected_request_does_not_consume_the_key(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    rejected = await post_batch(client, auth, [{"delay_ms": -1}], headers=_key("retry-7"))
    assert rejected.status_code == 422, rejected.text

    accepted = await post_batch(client, auth, [{"delay_ms": 1}], headers=_key("retry-7"))

    assert accepted.status_code == 201, accepted.text
    assert "Idempotent-Replayed" not in accepted.headers


async def test_same_key_in_another_org_is_independent(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey, row_counts: RowCounts
) -> None:
    other = {"Authorization": f"Bearer {await make_key(org='other', email='dev@other.test')}"}

    mine = await post_batch(client, auth, ITEMS, headers=_key("shared-key"))
    theirs = await post_batch(client, other, ITEMS, headers=_key("shared-key"))

    assert mine.status_code == 201, mine.text
    assert theirs.status_code == 201, theirs.text
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    counts = await row_counts()
    assert counts["batches"] == 2
    assert counts["idempotency_keys"] == 2


async def test_concurrent_requests_with_one_key_create_exactly_one_batch(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    responses = await asyncio.gather(
        *(post_batch(client, auth, ITEMS, headers=_key("race")) for _ in range(5))
    )

    assert [response.status_code for response in responses] == [201] * 5, [
        response.text for response in responses
    ]
    assert len({response.json()["id"] for response in responses}) == 1
    replayed = [response.headers.get("Idempotent-Replayed") for response in responses]
    assert replayed.count("true") == 4
    counts = await row_counts()
    assert counts["batches"] == 1
    assert counts["batch_items"] == len(ITEMS)
    assert counts["runs"] == len(ITEMS)
    assert counts["idempotency_keys"] == 1

"""`POST /v1/batches/{batch_id}/callback/redeliver`: the frozen payload sent again as a new,
manual delivery with attempts of its own."""

from __future__ import annotations

import uuid

import httpx
import pytest
from standardwebhooks import Webhook

from tests.callbacks.helpers import (
    batch_with_callback,
    finished_delivery,
    history,
    signing_secret,
)
from tests.callbacks.receiver import Receiver
from tests.conftest import MakeKey, RowCounts
from tests.engine.polling import eventually, terminal_batch

pytestmark = pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.1,))


async def test_redelivery_sends_the_same_bytes_as_a_manual_delivery(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        original = await finished_delivery(client, auth, created["id"])
        response = await client.post(
            f"/v1/batches/{created['id']}/callback/redeliver", headers=auth
        )
        assert response.status_code == 201, response.text
        manual = response.json()
        assert manual["is_automatic"] is False
        assert manual["status_code"] == "pending"
        assert manual["attempts"] == []

        async def delivered() -> list[dict[str, object]] | None:
            deliveries: list[dict[str, object]] = await history(client, auth, created["id"])
            return deliveries if deliveries[-1]["status_code"] == "succeeded" else None

        first, second = await eventually(delivered)

    assert first["id"] == original["id"]
    assert first["is_automatic"] is True
    assert second["id"] == manual["id"]
    assert second["payload_bytes"] == original["payload_bytes"]
    assert [r.body for r in receiver.received] == [original["payload_bytes"].encode()] * 2
    assert [r.webhook_id for r in receiver.received] == [original["id"], manual["id"]]
    secret = (await signing_secret(client, auth))["secret"]
    Webhook(secret).verify(receiver.received[1].body, receiver.received[1].headers)


async def test_redelivery_with_an_idempotency_key_happens_once(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        await finished_delivery(client, auth, created["id"])
        headers = auth | {"Idempotency-Key": "redeliver-once"}
        path = f"/v1/batches/{created['id']}/callback/redeliver"
        first = await client.post(path, headers=headers)
        again = await client.post(path, headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(await history(client, auth, created["id"])) == 2


async def test_a_batch_still_running_has_nothing_to_redeliver(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    created = await batch_with_callback(
        client, auth, "http://127.0.0.1:9/hook", items=[{"delay_ms": 60_000}]
    )
    before = await row_counts()
    response = await client.post(f"/v1/batches/{created['id']}/callback/redeliver", headers=auth)
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert await row_counts() == before
    await client.post(f"/v1/batches/{created['id']}/cancel", headers=auth)


async def test_a_batch_without_callback_url_has_nothing_to_redeliver(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/models/runflow/echo/batches", json={"input": [{}]}, headers=auth
    )
    batch_id = response.json()["id"]
    await terminal_batch(client, auth, batch_id)
    response = await client.post(f"/v1/batches/{batch_id}/callback/redeliver", headers=auth)
    assert response.status_code == 409
    assert "no callback_url" in response.json()["message"]


async def test_another_orgs_batch_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    async with Receiver() as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        await finished_delivery(client, auth, created["id"])
    stranger = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    for method, path in (
        ("POST", f"/v1/batches/{created['id']}/callback/redeliver"),
        ("GET", f"/v1/batches/{created['id']}/callback"),
        ("POST", f"/v1/batches/{uuid.uuid4()}/callback/redeliver"),
    ):
        response = await client.request(method, path, headers=stranger)
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


async def test_viewers_may_read_history_but_not_redeliver(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    async with Receiver() as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        await finished_delivery(client, auth, created["id"])
    viewer = {"Authorization": f"Bearer {await make_key(role='viewer', email='v@acme.test')}"}
    assert len(await history(client, viewer, created["id"])) == 1
    response = await client.post(f"/v1/batches/{created['id']}/callback/redeliver", headers=viewer)
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"

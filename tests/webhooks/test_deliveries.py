"""Deliveries: one history for batch callbacks and endpoint deliveries, attempts, redelivery of
the same bytes, `recover` after an outage, disabled endpoints, and the test event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.callbacks.helpers import batch_with_callback, finished_delivery
from tests.callbacks.receiver import Receiver, Reply
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.webhooks.helpers import (
    create_endpoint,
    deliveries,
    received_types,
    settled,
    types_of,
    verify,
)

# Two attempts 0.1 s apart: a receiver that is down fails a delivery for good quickly.
pytestmark = pytest.mark.engine(worker_concurrency=8, callback_retry_delays=(0.1,))


async def test_one_history_holds_callbacks_and_endpoint_deliveries(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as callbacks, Receiver() as endpoint_receiver:
        endpoint = await create_endpoint(client, auth, endpoint_receiver.url(), ["batch.succeeded"])
        batch = await batch_with_callback(client, auth, callbacks.url())
        await finished_delivery(client, auth, batch["id"])
        await received_types(endpoint_receiver, ["batch.succeeded"])
        both = await settled(client, auth, f'batch_id = "{batch["id"]}"', 2, "succeeded")

    (callback,) = [d for d in both if d["endpoint_id"] is None]
    (delivered,) = [d for d in both if d["endpoint_id"] == endpoint["id"]]
    assert callback["event_type"] == delivered["event_type"] == "batch.succeeded"
    assert callback["url"] == callbacks.url()
    assert delivered["event_id"] == endpoint_receiver.received[0].webhook_id
    by_endpoint = await deliveries(client, auth, f'endpoint_id = "{endpoint["id"]}"')
    assert [d["id"] for d in by_endpoint] == [delivered["id"]]
    linked = await client.get(endpoint["links"]["deliveries"], headers=auth)
    assert linked.status_code == 200, linked.text
    assert [d["id"] for d in linked.json()["items"]] == [delivered["id"]]
    callbacks_only = await deliveries(client, auth, "endpoint_id = null")
    assert [d["id"] for d in callbacks_only] == [callback["id"]]
    detail = (await client.get(delivered["links"]["self"], headers=auth)).json()
    assert detail["payload_bytes"] == endpoint_receiver.received[0].body.decode()
    assert [a["status_code"] for a in detail["attempts"]] == [200]
    # A batch's own callback history shows its callbacks only.
    own = (await client.get(f"/v1/batches/{batch['id']}/callback", headers=auth)).json()
    assert [d["id"] for d in own] == [callback["id"]]


async def test_redelivery_sends_the_same_bytes_with_the_same_webhook_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        endpoint = await create_endpoint(client, auth, receiver.url(), ["batch.succeeded"])
        batch = await create_batch(client, auth, [{"message": "again"}])
        await terminal_batch(client, auth, batch["id"])
        (first,) = await settled(client, auth, "event_type = batch.succeeded", 1, "succeeded")
        response = await client.post(first["links"]["redeliver"], headers=auth)
        assert response.status_code == 201, response.text
        assert response.json()["is_automatic"] is False
        await settled(client, auth, "event_type = batch.succeeded", 2, "succeeded")

    one, two = receiver.received
    assert one.body == two.body
    assert one.webhook_id == two.webhook_id == first["event_id"]
    verify(one, endpoint["secret"])
    verify(two, endpoint["secret"])


async def test_recover_sends_once_each_event_that_failed_since(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver(default=Reply(status=503)) as receiver:
        endpoint = await create_endpoint(client, auth, receiver.url(), ["run.succeeded"])
        since = datetime.now(UTC) - timedelta(seconds=1)
        batch = await create_batch(client, auth, [{"message": str(i)} for i in range(3)])
        await terminal_batch(client, auth, batch["id"])
        failed = await settled(client, auth, "event_type = run.succeeded", 3, "failed")
        assert all(d["attempt_count"] == 2 for d in failed)

        receiver.default = Reply(status=200)
        receiver.received.clear()
        path = f"/v1/webhooks/endpoints/{endpoint['id']}/recover"
        response = await client.post(path, json={"since": since.isoformat()}, headers=auth)
        assert response.status_code == 202, response.text
        assert response.json() == {"count": 3}
        await received_types(receiver, ["run.succeeded"] * 3)
        await settled(
            client, auth, "event_type = run.succeeded AND is_automatic = false", 3, "succeeded"
        )
        # Everything got through since: nothing more to recover.
        again = await client.post(path, json={"since": since.isoformat()}, headers=auth)
        assert again.json() == {"count": 0}

    assert {r.webhook_id for r in receiver.received} == {d["event_id"] for d in failed}


@pytest.mark.parametrize(
    "since",
    [
        "2000-01-01T00:00:00+00:00",
        "2999-01-01T00:00:00+00:00",
        "2026-12-04T10:00:00",
        "yesterday",
        None,
    ],
)
async def test_recover_refuses_a_bad_since(
    client: httpx.AsyncClient, auth: dict[str, str], since: str | None
) -> None:
    endpoint = await create_endpoint(client, auth, "http://127.0.0.1:9/")
    response = await client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/recover", json={"since": since}, headers=auth
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][:2] == ["body", "since"]


async def test_a_disabled_endpoint_gets_nothing_new_and_resumes_when_enabled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as off, Receiver() as on:
        quiet = await create_endpoint(client, auth, off.url(), ["batch.succeeded"], enabled=False)
        await create_endpoint(client, auth, on.url(), ["batch.succeeded"])
        first = await create_batch(client, auth, [{"message": "1"}])
        await terminal_batch(client, auth, first["id"])
        await received_types(on, ["batch.succeeded"])
        assert off.received == []
        test = await client.post(f"/v1/webhooks/endpoints/{quiet['id']}/test", headers=auth)
        assert test.status_code == 409

        path = f"/v1/webhooks/endpoints/{quiet['id']}"
        assert (await client.patch(path, json={"enabled": True}, headers=auth)).status_code == 200
        second = await create_batch(client, auth, [{"message": "2"}])
        await terminal_batch(client, auth, second["id"])
        (got,) = await received_types(off, ["batch.succeeded"])
    assert json.loads(got.body)["data"]["id"] == second["id"]


async def test_the_test_event_goes_to_that_endpoint_alone(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as tested, Receiver() as bystander:
        endpoint = await create_endpoint(client, auth, tested.url(), ["batch.failed"])
        await create_endpoint(client, auth, bystander.url(), ["*"])
        response = await client.post(f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=auth)
        assert response.status_code == 202, response.text
        delivery = response.json()
        assert delivery["event_type"] == "webhook.test"
        assert delivery["endpoint_id"] == endpoint["id"]
        (got,) = await received_types(tested, ["webhook.test"])
        await settled(client, auth, f'id = "{delivery["id"]}"', 1, "succeeded")
    assert verify(got, endpoint["secret"])["data"]["endpoint_id"] == endpoint["id"]
    assert got.webhook_id == delivery["event_id"]
    assert bystander.received == []


async def test_a_test_event_with_an_idempotency_key_is_sent_once(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        endpoint = await create_endpoint(client, auth, receiver.url(), ["*"])
        path = f"/v1/webhooks/endpoints/{endpoint['id']}/test"
        headers = {**auth, "Idempotency-Key": "test-once"}
        first = await client.post(path, headers=headers)
        again = await client.post(path, headers=headers)
        assert first.status_code == again.status_code == 202, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        await settled(client, auth, f'id = "{first.json()["id"]}"', 1, "succeeded")
        # Another key is another test event.
        other = await client.post(path, headers={**auth, "Idempotency-Key": "test-twice"})
        assert other.json()["id"] != first.json()["id"]
        await received_types(receiver, ["webhook.test", "webhook.test"])
    tests = await deliveries(client, auth, 'event_type = "webhook.test"')
    assert len(tests) == 2


@pytest.mark.engine(
    worker_concurrency=8, callback_retry_delays=(0.05,) * 30, webhook_disable_after_s=0.3
)
async def test_an_endpoint_failing_too_long_is_disabled_and_the_others_are_told(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver(default=Reply(status=500)) as broken, Receiver() as watcher:
        failing = await create_endpoint(client, auth, broken.url(), ["batch.succeeded"])
        await create_endpoint(client, auth, watcher.url(), ["webhook.endpoint_disabled"])
        batch = await create_batch(client, auth, [{"message": "x"}])
        await terminal_batch(client, auth, batch["id"])
        (told,) = await received_types(watcher, ["webhook.endpoint_disabled"])

        path = f"/v1/webhooks/endpoints/{failing['id']}"
        read = (await client.get(path, headers=auth)).json()
        assert read["enabled"] is False
        assert read["disabled_reason"] == "FAILING"
        assert json.loads(told.body)["data"]["id"] == failing["id"]
        # The delivery still pending when it was disabled is stopped, not retried forever.
        await settled(client, auth, f'endpoint_id = "{failing["id"]}"', 1, "failed")
        attempts = len(broken.received)

        assert (await client.patch(path, json={"enabled": True}, headers=auth)).status_code == 200
        broken.default = Reply(status=204)
        again = await create_batch(client, auth, [{"message": "y"}])
        await terminal_batch(client, auth, again["id"])
        await eventually(lambda: _arrived(broken, attempts + 1))
    assert types_of(broken.received[attempts:]) == ["batch.succeeded"]


async def _arrived(receiver: Receiver, count: int) -> bool:
    return len(receiver.received) >= count


async def test_deliveries_of_another_org_are_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: object
) -> None:
    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["batch.succeeded"])
        batch = await create_batch(client, auth, [{"message": "mine"}])
        await terminal_batch(client, auth, batch["id"])
        (delivery,) = await settled(client, auth, "event_type = batch.succeeded", 1, "succeeded")
    token = await make_key(org="globex", email="b@globex.test")  # type: ignore[operator]
    other = {"Authorization": f"Bearer {token}"}
    assert (await client.get(delivery["links"]["self"], headers=other)).status_code == 404
    redeliver = await client.post(delivery["links"]["redeliver"], headers=other)
    assert redeliver.status_code == 404
    assert (await deliveries(client, other)) == []


@pytest.mark.engine(worker_concurrency=16, callback_timeout_s=30)
async def test_an_endpoint_that_hangs_delays_no_other(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """300 events for an endpoint that never answers in time hold at most its own share of
    the sender's 256 slots: another endpoint's events go out at once."""
    async with Receiver(default=Reply(delay_s=60)) as hanging, Receiver() as healthy:
        await create_endpoint(client, auth, hanging.url(), ["run.succeeded"])
        await create_endpoint(client, auth, healthy.url(), ["batch.succeeded"])
        batches = [await create_batch(client, auth, [{"message": "x"}] * 100) for _ in range(3)]
        for batch in batches:
            await terminal_batch(client, auth, batch["id"])
        got = await received_types(healthy, ["batch.succeeded"] * 3)
    assert {json.loads(r.body)["data"]["id"] for r in got} == {b["id"] for b in batches}

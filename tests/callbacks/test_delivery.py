"""A terminal batch calls its `callback_url` once, signed, with the exact stored bytes; failures
are retried on schedule and every attempt is on record — all against a real receiver."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
from standardwebhooks import Webhook

from tests.callbacks.helpers import (
    batch_with_callback,
    finished_delivery,
    history,
    signing_secret,
)
from tests.callbacks.receiver import Receiver, Reply
from tests.engine.polling import eventually, terminal_batch

# A generous timeout: these receivers answer at once, but a loaded machine may run them late,
# and a timed-out attempt would be retried (a second request the tests would count).
pytestmark = pytest.mark.engine(
    worker_concurrency=8, callback_retry_delays=(0.1, 0.1, 0.1), callback_timeout_s=30.0
)


async def test_callback_is_signed_and_carries_the_stored_bytes(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        created = await batch_with_callback(
            client,
            auth,
            receiver.url(),
            items=[{"message": "a", "client_ref": "first"}, {"message": "b"}],
            metadata={"project": "demo"},
        )
        delivery = await finished_delivery(client, auth, created["id"])

    assert len(receiver.received) == 1
    received = receiver.received[0]
    secret = await signing_secret(client, auth)
    verified = Webhook(secret["secret"]).verify(received.body, received.headers)
    assert received.body == delivery["payload_bytes"].encode()
    assert received.headers["content-type"] == "application/json"
    assert received.webhook_id == delivery["id"]

    assert verified == delivery["payload"] | {
        "created_at": verified["created_at"],
        "completed_at": verified["completed_at"],
    }
    assert verified["event"] == "batch.succeeded"
    assert verified["batch_id"] == created["id"]
    assert verified["status"] == "succeeded"
    assert verified["metadata"] == {"project": "demo"}
    assert verified["output"]["items"][0]["client_ref"] == "first"
    assert [entry["output"] for entry in verified["output"]["items"]] == [
        {"message": "a"},
        {"message": "b"},
    ]
    # `.isoformat()` of UTC datetimes: "+00:00", never "Z".
    for name in ("created_at", "completed_at"):
        assert verified[name].endswith("+00:00")
        assert datetime.fromisoformat(verified[name]).utcoffset() is not None
    assert isinstance(verified["duration_ms"], int)

    assert delivery["status_code"] == "succeeded"
    assert delivery["is_automatic"] is True
    assert delivery["signing_secret_id"] == secret["id"]
    assert (delivery["attempt_count"], delivery["max_attempts"]) == (1, 4)
    assert delivery["next_attempt_at"] is None
    assert delivery["completed_at"] is not None
    [attempt] = delivery["attempts"]
    assert attempt["attempt_number"] == 1
    assert attempt["status_code"] == 200
    assert attempt["response_body"] == "ok"
    assert attempt["error_message"] is None
    assert attempt["response_time_ms"] >= 0
    assert attempt["delivery_id"] == delivery["id"]


async def test_receiver_errors_are_retried_until_it_answers_2xx(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        receiver.script(Reply(500, body=b"boom"), Reply(500, body=b"boom again"))
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    assert delivery["status_code"] == "succeeded"
    assert delivery["attempt_count"] == 3
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert [a["attempt_number"] for a in delivery["attempts"]] == [1, 2, 3]
    assert delivery["attempts"][0]["response_body"] == "boom"
    assert delivery["attempts"][0]["error_message"] == "the receiver answered 500"
    # The same message every time: one webhook-id, the same bytes; each attempt signed anew.
    assert len(receiver.received) == 3
    assert {r.webhook_id for r in receiver.received} == {delivery["id"]}
    assert {r.body for r in receiver.received} == {delivery["payload_bytes"].encode()}
    secret = (await signing_secret(client, auth))["secret"]
    for received in receiver.received:
        Webhook(secret).verify(received.body, received.headers)


@pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.3,) * 8)
async def test_a_receiver_that_is_down_gets_the_callback_when_it_comes_back(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    receiver = Receiver()  # not listening yet
    created = await batch_with_callback(client, auth, receiver.url())

    async def two_failed_attempts() -> bool:
        deliveries = await history(client, auth, created["id"])
        return bool(deliveries) and len(deliveries[0]["attempts"]) >= 2

    await eventually(two_failed_attempts)
    async with receiver:
        delivery = await finished_delivery(client, auth, created["id"])

    assert delivery["status_code"] == "succeeded"
    *failed, last = delivery["attempts"]
    assert len(failed) >= 2
    for attempt in failed:
        assert attempt["status_code"] is None
        assert "Connect" in attempt["error_message"]
    assert last["status_code"] == 200
    assert len(receiver.received) == 1


@pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.05, 0.05))
async def test_exhausted_retries_end_the_delivery_failed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver(default=Reply(503, body=b"unavailable")) as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    assert delivery["status_code"] == "failed"
    assert (delivery["attempt_count"], delivery["max_attempts"]) == (3, 3)
    assert delivery["next_attempt_at"] is None
    assert delivery["failure_reason_code"] == "RETRIES_EXHAUSTED"
    assert "3 attempts" in delivery["failure_detail"]
    assert "503" in delivery["failure_detail"]
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 503, 503]
    assert len(receiver.received) == 3


async def test_redirects_are_never_followed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        elsewhere = receiver.url("/elsewhere")
        receiver.script(Reply(302, headers={"location": elsewhere}), Reply(307))
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    assert [r.path for r in receiver.received] == ["/hook", "/hook", "/hook"]
    first = delivery["attempts"][0]
    assert first["status_code"] == 302
    assert "never follow redirects" in first["error_message"]
    assert elsewhere in first["error_message"]
    assert [a["status_code"] for a in delivery["attempts"]] == [302, 307, 200]


async def test_410_gone_stops_retrying(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    async with Receiver(default=Reply(410, body=b"no such hook")) as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    assert delivery["status_code"] == "failed"
    assert delivery["failure_reason_code"] == "RECEIVER_GONE"
    assert delivery["next_attempt_at"] is None
    assert delivery["attempt_count"] == 1
    assert len(receiver.received) == 1


# 2 s: the answered retry must fit in it even on a loaded machine.
@pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.05,), callback_timeout_s=2.0)
async def test_a_receiver_that_hangs_is_recorded_as_a_timeout(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        receiver.script(Reply(200, delay_s=60))
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    hung, answered = delivery["attempts"]
    assert hung["status_code"] is None
    assert hung["error_message"] == "no complete response within 2 s"
    assert hung["response_time_ms"] >= 1900
    assert answered["status_code"] == 200
    assert delivery["status_code"] == "succeeded"


@pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.05,))
async def test_retry_after_of_a_429_replaces_the_schedule(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        receiver.script(Reply(429, headers={"retry-after": "1"}))
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    limited, answered = delivery["attempts"]
    assert limited["status_code"] == 429
    waited = datetime.fromisoformat(answered["created_at"]) - datetime.fromisoformat(
        limited["created_at"]
    )
    # The schedule alone would have retried after 0.05 s ± 20 %.
    assert waited.total_seconds() >= 0.9
    assert answered["status_code"] == 200


async def test_long_response_bodies_are_truncated_when_stored(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver(default=Reply(200, body=b"x" * 50_000)) as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    assert receiver.received
    assert delivery["attempts"][0]["response_body"] == "x" * 1024


async def test_no_callback_exists_before_every_item_is_terminal(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # Up to 2.1 s of work: the loop below sees the batch running even on a loaded machine.
    items = [{"message": f"m{i}", "delay_ms": 300 * i} for i in range(8)]
    async with Receiver() as receiver:
        created = await batch_with_callback(client, auth, receiver.url(), items=items)
        seen_running = False
        while True:
            # Read the callback side first: whatever it shows must already be backed by a
            # terminal batch when the batch is read right after.
            received = list(receiver.received)
            deliveries = await history(client, auth, created["id"])
            batch = (await client.get(f"/v1/batches/{created['id']}", headers=auth)).json()
            if batch["status_code"] in ("queued", "running"):
                seen_running = True
                assert deliveries == []
                assert received == []
            elif deliveries and deliveries[0]["status_code"] == "succeeded":
                break
        assert seen_running

    payload = json.loads(receiver.received[0].body)
    assert payload["status"] == "succeeded"
    assert len(payload["output"]["items"]) == 8
    assert {entry["status_code"] for entry in payload["output"]["items"]} == {"succeeded"}


async def test_partially_succeeded_and_cancelled_batches_name_their_status_in_the_event(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        partial = await batch_with_callback(
            client, auth, receiver.url(), items=[{"message": "ok"}, {"fail": True}]
        )
        slow = await batch_with_callback(
            client, auth, receiver.url(), items=[{"delay_ms": 60_000}] * 3
        )
        response = await client.post(f"/v1/batches/{slow['id']}/cancel", headers=auth)
        assert response.status_code == 200
        partial_delivery = await finished_delivery(client, auth, partial["id"])
        cancelled_delivery = await finished_delivery(client, auth, slow["id"])

    assert partial_delivery["payload"]["event"] == "batch.partially_succeeded"
    assert cancelled_delivery["payload"]["event"] == "batch.cancelled"
    manifest = cancelled_delivery["payload"]["output"]["items"]
    assert {entry["status_code"] for entry in manifest} == {"cancelled"}
    assert len(receiver.received) == 2


async def test_a_batch_without_callback_url_has_no_delivery(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/models/runflow/echo/batches", json={"input": [{}]}, headers=auth
    )
    created = response.json()
    await terminal_batch(client, auth, created["id"])
    assert await history(client, auth, created["id"]) == []


# The slow attempt must still be in flight when the other callback is delivered, however
# slowly the machine runs: a timeout far beyond that delivery, a hang far beyond the timeout.
@pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.1,), callback_timeout_s=60.0)
async def test_a_hanging_receiver_does_not_delay_the_others(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver(default=Reply(200, delay_s=600)) as slow, Receiver() as healthy:
        stuck = await batch_with_callback(client, auth, slow.url())

        async def hanging() -> bool:
            return len(slow.received) == 1

        await eventually(hanging)
        prompt = await batch_with_callback(client, auth, healthy.url())
        delivered = await finished_delivery(client, auth, prompt["id"])
        [still_waiting] = await history(client, auth, stuck["id"])

    assert delivered["status_code"] == "succeeded"
    # The slow receiver's first attempt was still running when the other callback went out.
    assert still_waiting["attempts"] == []
    assert still_waiting["status_code"] == "pending"


async def test_a_named_host_is_called_at_its_checked_address_with_its_own_host_header(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        url = receiver.url().replace("127.0.0.1", "localhost")
        created = await batch_with_callback(client, auth, url)
        delivery = await finished_delivery(client, auth, created["id"])

    assert delivery["callback_url"] == url
    assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"

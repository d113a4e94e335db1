"""A run created on its own with a `callback_url` gets a `run.<status>` callback of its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.callbacks.helpers import signing_secret
from tests.callbacks.receiver import Receiver
from tests.engine.polling import eventually

pytestmark = pytest.mark.engine(worker_concurrency=4, callback_retry_delays=(0.1,))


async def _run(
    client: httpx.AsyncClient, auth: dict[str, str], url: str, **input_: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/models/runflow/echo/runs",
        json={"input": input_, "callback_url": url, "metadata": {"k": "v"}},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _delivered(
    client: httpx.AsyncClient, auth: dict[str, str], run_id: str
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await client.get(f"/v1/runs/{run_id}/callback", headers=auth)
        assert response.status_code == 200, response.text
        deliveries = response.json()
        if deliveries and deliveries[0]["status_code"] == "succeeded":
            found: dict[str, Any] = deliveries[0]
            return found
        return None

    result: dict[str, Any] = await eventually(probe)
    return result


async def test_a_lone_run_calls_back_when_it_succeeds(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        run = await _run(client, auth, receiver.url(), message="solo")
        delivery = await _delivered(client, auth, run["id"])

    [received] = receiver.received
    payload = Webhook((await signing_secret(client, auth))["secret"]).verify(
        received.body, received.headers
    )
    assert received.body == delivery["payload_bytes"].encode()
    assert payload["event"] == "run.succeeded"
    assert payload["run_id"] == run["id"]
    assert payload["output"] == {"message": "solo"}
    assert payload["error"] is None
    assert payload["cost"] == "0.0001"
    assert payload["metadata"] == {"k": "v"}
    assert delivery["run_id"] == run["id"]
    assert delivery["batch_id"] is None


async def test_failed_and_cancelled_runs_call_back_too(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        failing = await _run(client, auth, receiver.url(), fail=True, fail_message="nope")
        slow = await _run(client, auth, receiver.url(), delay_ms=60_000)
        assert (await client.post(f"/v1/runs/{slow['id']}/cancel", headers=auth)).status_code == 200
        failed = await _delivered(client, auth, failing["id"])
        cancelled = await _delivered(client, auth, slow["id"])

    assert failed["payload"]["event"] == "run.failed"
    assert failed["payload"]["error"]["message"] == "nope"
    assert failed["payload"]["cost"] == "0"
    assert cancelled["payload"]["event"] == "run.cancelled"
    assert len(receiver.received) == 2


async def test_batch_items_never_call_back_one_by_one(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        response = await client.post(
            "/v1/models/runflow/echo/batches",
            json={"input": [{"message": str(i)} for i in range(5)], "callback_url": receiver.url()},
            headers=auth,
        )
        batch = response.json()

        async def one_callback() -> bool:
            return len(receiver.received) >= 1

        await eventually(one_callback)
        for item in batch["items"]:
            history = await client.get(f"/v1/runs/{item['run_id']}/callback", headers=auth)
            assert history.json() == []
    assert [r.webhook_id for r in receiver.received] == [
        (await client.get(f"/v1/batches/{batch['id']}/callback", headers=auth)).json()[0]["id"]
    ]

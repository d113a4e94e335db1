"""Shared steps of the webhook tests: endpoints, what a receiver got, deliveries settling."""

from __future__ import annotations

import json
from typing import Any

import httpx
from standardwebhooks import Webhook

from tests.callbacks.receiver import Received, Receiver
from tests.engine.polling import eventually


async def create_endpoint(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    url: str,
    event_types: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhooks/endpoints",
        json={"url": url, "event_types": event_types or ["*"], **fields},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def events_of(received: list[Received]) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in received]


def types_of(received: list[Received]) -> list[str]:
    return [event["type"] for event in events_of(received)]


async def received_types(
    receiver: Receiver, expected: list[str], timeout_s: float = 20.0
) -> list[Received]:
    """What `receiver` got once it holds `expected` types (in any order)."""

    async def probe() -> list[Received] | None:
        got = list(receiver.received)
        return got if sorted(types_of(got)) == sorted(expected) else None

    try:
        result: list[Received] = await eventually(probe, timeout_s=timeout_s)
    except AssertionError:
        raise AssertionError(f"got {types_of(receiver.received)}, expected {expected}") from None
    return result


def verify(request: Received, secret: str) -> dict[str, Any]:
    """The body, once its Standard Webhooks signature checks out with `secret`."""
    verified: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return verified


async def deliveries(
    client: httpx.AsyncClient, auth: dict[str, str], q: str | None = None
) -> list[dict[str, Any]]:
    params: dict[str, str | int] = {"limit": 500}
    if q:
        params["q"] = q
    response = await client.get("/v1/webhooks/deliveries", params=params, headers=auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def settled(
    client: httpx.AsyncClient, auth: dict[str, str], q: str, count: int, status: str
) -> list[dict[str, Any]]:
    """The deliveries matching `q` once there are `count` and all have `status`."""

    async def probe() -> list[dict[str, Any]] | None:
        found = await deliveries(client, auth, q)
        done = len(found) == count and all(d["status_code"] == status for d in found)
        return found if done else None

    result: list[dict[str, Any]] = await eventually(probe)
    return result

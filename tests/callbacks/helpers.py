"""Shared steps of the callback tests: make batches that call back, wait for deliveries."""

from __future__ import annotations

from typing import Any

import httpx

from tests.engine.polling import eventually

DONE = {"succeeded", "failed"}


async def batch_with_callback(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    callback_url: str,
    items: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/models/runflow/echo/batches",
        json={
            "input": items or [{"message": "hello"}],
            "callback_url": callback_url,
            "metadata": metadata or {},
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def history(client: httpx.AsyncClient, auth: dict[str, str], batch_id: str) -> Any:
    response = await client.get(f"/v1/batches/{batch_id}/callback", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


async def finished_delivery(
    client: httpx.AsyncClient, auth: dict[str, str], batch_id: str, timeout_s: float = 20.0
) -> dict[str, Any]:
    """The batch's automatic delivery once it has succeeded or failed for good."""

    async def probe() -> dict[str, Any] | None:
        for delivery in await history(client, auth, batch_id):
            if delivery["is_automatic"] and delivery["status_code"] in DONE:
                found: dict[str, Any] = delivery
                return found
        return None

    result: dict[str, Any] = await eventually(probe, timeout_s=timeout_s)
    return result


async def signing_secret(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/webhooks/signing-secret", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body

from __future__ import annotations

import httpx


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/status/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_create_batch(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/v1/models/runflow/echo/batches", json={"input": [{"message": "x"}]}, headers=auth
    )
    assert response.status_code == 201, response.text

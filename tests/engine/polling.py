"""Poll with a deadline instead of sleeping blindly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

TERMINAL_RUN = {"succeeded", "failed", "cancelled"}
TERMINAL_BATCH = {"succeeded", "partially_succeeded", "failed", "cancelled"}


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, timeout_s: float = 20.0, interval_s: float = 0.05
) -> Any:
    """Await `probe()` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s (last: {value!r})")
        await asyncio.sleep(interval_s)


async def terminal_batch(
    client: httpx.AsyncClient, headers: dict[str, str], batch_id: str, timeout_s: float = 20.0
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/v1/batches/{batch_id}", headers=headers)).json()
        return body if body["status_code"] in TERMINAL_BATCH else None

    result: dict[str, Any] = await eventually(probe, timeout_s=timeout_s)
    return result


async def terminal_run(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, timeout_s: float = 30.0
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/v1/runs/{run_id}", headers=headers)).json()
        return run if run["status_code"] in TERMINAL_RUN else None

    result: dict[str, Any] = await eventually(probe, timeout_s=timeout_s)
    return result


async def create_batch(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    items: list[dict[str, Any]],
    model: str = "runflow/echo",
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/models/{model}/batches", json={"input": items}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body

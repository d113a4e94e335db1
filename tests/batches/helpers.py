"""Small helpers shared by the batch tests: create over HTTP and check contract value shapes."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import httpx

ECHO = "/v1/models/runflow/echo/batches"
TXT2IMG = "/v1/models/runflow/txt2img/batches"

MONEY = re.compile(r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


async def post_batch(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    items: list[Any],
    *,
    path: str = ECHO,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    """POST a batch body `{"input": items, **extra}`; the response as it came."""
    return await client.post(path, json={"input": items, **extra}, headers=auth | (headers or {}))


async def create_batch(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    items: list[Any],
    *,
    path: str = ECHO,
    **extra: Any,
) -> dict[str, Any]:
    """Create a batch that must be accepted; its create response body."""
    response = await post_batch(client, auth, items, path=path, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_json(client: httpx.AsyncClient, auth: dict[str, str], url: str, **params: Any) -> Any:
    """GET that must answer 200; the parsed body."""
    response = await client.get(url, headers=auth, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def list_items(
    client: httpx.AsyncClient, auth: dict[str, str], batch_id: str, **params: Any
) -> dict[str, Any]:
    page: dict[str, Any] = await get_json(client, auth, f"/v1/batches/{batch_id}/items", **params)
    return page


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def is_datetime(value: Any) -> bool:
    """An RFC 3339 timestamp with an explicit offset."""
    if not isinstance(value, str) or not RFC3339.match(value):
        return False
    parsed = datetime.fromisoformat(value)
    return parsed.utcoffset() is not None


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_money(value: Any) -> bool:
    return isinstance(value, str) and MONEY.match(value) is not None


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error envelope with this status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "errors" in body
    return body


def error_locs(body: dict[str, Any]) -> list[list[Any]]:
    return [list(error["loc"]) for error in body["errors"] or []]

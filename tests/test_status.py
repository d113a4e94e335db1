"""Probes: `/v1/status/health` (process up), `/v1/status/ready` (DB reachable, schema at head)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from runflow.db.engine import Database
from runflow.db.migrate import head_revision


async def set_schema_revision(database: Database, revision: str) -> None:
    async with database.transaction() as session:
        await session.execute(
            text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision}
        )


def not_ready(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == "NOT_READY"
    return body


async def test_health_is_ok_without_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/status/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_is_200_without_auth_with_the_head_schema_revision(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/status/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "schema_revision": head_revision(),
    }


async def test_ready_is_503_not_ready_when_the_schema_is_behind(
    client: httpx.AsyncClient, database: Database
) -> None:
    head = head_revision()
    await set_schema_revision(database, "0000")
    try:
        response = await client.get("/v1/status/ready")
    finally:
        await set_schema_revision(database, head)
    body = not_ready(response)
    assert "0000" in body["message"]
    assert head in body["message"]


async def test_ready_recovers_once_the_schema_is_back_at_head(
    client: httpx.AsyncClient, database: Database
) -> None:
    head = head_revision()
    await set_schema_revision(database, "0000")
    try:
        not_ready(await client.get("/v1/status/ready"))
    finally:
        await set_schema_revision(database, head)
    assert (await client.get("/v1/status/ready")).status_code == 200


async def test_health_stays_ok_when_the_schema_is_behind(
    client: httpx.AsyncClient, database: Database
) -> None:
    await set_schema_revision(database, "0000")
    try:
        response = await client.get("/v1/status/health")
    finally:
        await set_schema_revision(database, head_revision())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_is_503_not_ready_when_the_database_is_unreachable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # A real engine pointed at a port where nothing listens.
    unreachable = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    working = app.state.database
    app.state.database = unreachable
    try:
        response = await client.get("/v1/status/ready")
    finally:
        app.state.database = working
        await unreachable.dispose()
    body = not_ready(response)
    assert "127.0.0.1" not in body["message"]
    assert "nothing" not in body["message"]

"""`runflow keys create` and `RUNFLOW_BOOTSTRAP_API_KEY`, against the embedded SQLite database.

These tests build their own app on a fresh data directory, so they run on SQLite only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from runflow.app import create_app
from runflow.auth.models import ApiKey
from runflow.config import Settings
from runflow.db.engine import Database
from tests.cli import run_runflow

BOOTSTRAP_KEY = "rf_bootstrap_test_key_123"


async def run_keys_create(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Run `runflow keys create ARGS` with only `RUNFLOW_DATA_DIR` set among RUNFLOW_* vars."""
    return await run_runflow(data_dir, "keys", "create", *args)


async def get_account(settings: Settings, token: str) -> httpx.Response:
    """Start the app on `settings` (lifespan included) and call `GET /v1/account` with `token`."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runflow.test") as http:
            return await http.get("/v1/account", headers={"Authorization": f"Bearer {token}"})


def sqlite_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, database_url=None, worker_concurrency=0, **overrides)


async def test_keys_create_prints_only_the_key_on_stdout(tmp_path: Path) -> None:
    code, stdout, stderr = await run_keys_create(
        tmp_path, "--org", "clitest", "--email", "a@b.test", "--role", "viewer"
    )
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    assert stdout == lines[0] + "\n"
    key = lines[0]
    assert key.startswith("rf_")
    assert key == key.strip()
    assert len(key) > 12


async def test_keys_create_key_authenticates_against_app_on_same_data_dir(
    tmp_path: Path,
) -> None:
    code, stdout, stderr = await run_keys_create(
        tmp_path, "--org", "clitest", "--email", "a@b.test", "--role", "viewer"
    )
    assert code == 0, stderr
    key = stdout.strip()

    response = await get_account(sqlite_settings(tmp_path), key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["org"]["slug"] == "clitest"
    assert body["user"]["email"] == "a@b.test"
    assert body["role"] == "viewer"


async def test_keys_create_twice_gives_distinct_working_keys_in_same_org(tmp_path: Path) -> None:
    args = ("--org", "clitest", "--email", "a@b.test", "--role", "developer")
    first = await run_keys_create(tmp_path, *args)
    second = await run_keys_create(tmp_path, *args)
    assert first[0] == 0, first[2]
    assert second[0] == 0, second[2]
    key_one, key_two = first[1].strip(), second[1].strip()
    assert key_one != key_two

    settings = sqlite_settings(tmp_path)
    account_one = (await get_account(settings, key_one)).json()
    account_two = (await get_account(settings, key_two)).json()
    assert account_one == account_two
    assert account_one["role"] == "developer"


async def test_keys_create_rejects_unknown_role_and_prints_no_key(tmp_path: Path) -> None:
    code, stdout, _ = await run_keys_create(
        tmp_path, "--org", "clitest", "--email", "a@b.test", "--role", "superuser"
    )
    assert code != 0
    assert "rf_" not in stdout


async def test_bootstrap_api_key_is_an_owner_key_of_default_org(tmp_path: Path) -> None:
    response = await get_account(
        sqlite_settings(tmp_path, bootstrap_api_key=BOOTSTRAP_KEY), BOOTSTRAP_KEY
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["org"]["slug"] == "default"
    assert body["role"] == "owner"
    assert body["credit_balance"] == "0"


async def test_bootstrap_api_key_is_idempotent_across_restarts(tmp_path: Path) -> None:
    first = await get_account(
        sqlite_settings(tmp_path, bootstrap_api_key=BOOTSTRAP_KEY), BOOTSTRAP_KEY
    )
    second = await get_account(
        sqlite_settings(tmp_path, bootstrap_api_key=BOOTSTRAP_KEY), BOOTSTRAP_KEY
    )
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.json() == first.json()

    database = Database(sqlite_settings(tmp_path).resolved_database_url)
    try:
        async with database.transaction(write=False) as session:
            keys = await session.scalar(select(func.count()).select_from(ApiKey))
    finally:
        await database.dispose()
    assert keys == 1


async def test_bootstrap_api_key_is_stored_hashed(tmp_path: Path) -> None:
    response = await get_account(
        sqlite_settings(tmp_path, bootstrap_api_key=BOOTSTRAP_KEY), BOOTSTRAP_KEY
    )
    assert response.status_code == 200, response.text
    database = Database(sqlite_settings(tmp_path).resolved_database_url)
    try:
        async with database.transaction(write=False) as session:
            stored = (await session.scalars(select(ApiKey))).one()
    finally:
        await database.dispose()
    assert stored.secret_hash != BOOTSTRAP_KEY
    assert BOOTSTRAP_KEY not in stored.secret_hash
    assert stored.lookup_prefix == BOOTSTRAP_KEY[:12]


async def test_other_key_is_unauthorized_on_bootstrapped_app(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, bootstrap_api_key=BOOTSTRAP_KEY)
    response = await get_account(settings, BOOTSTRAP_KEY + "x")
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_bootstrap_key_sharing_prefix_with_existing_key_refuses_to_start(
    tmp_path: Path,
) -> None:
    await get_account(sqlite_settings(tmp_path, bootstrap_api_key=BOOTSTRAP_KEY), BOOTSTRAP_KEY)
    clashing = BOOTSTRAP_KEY[:12] + "_another_secret"
    app = create_app(sqlite_settings(tmp_path, bootstrap_api_key=clashing))
    with pytest.raises(ValueError, match="RUNFLOW_BOOTSTRAP_API_KEY"):
        async with app.router.lifespan_context(app):
            pass

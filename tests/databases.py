"""Real test databases: an SQLite file and a throwaway PostgreSQL database per test session."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from runflow.db.engine import Database
from runflow.db.metadata import target_metadata
from runflow.db.migrate import upgrade_to_head

POSTGRES_SERVER = os.environ.get(
    "RUNFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def create_postgres_database() -> str:
    """A fresh database on the test server; fails (never skips) under CI when unreachable."""
    try:
        connection = await asyncpg.connect(POSTGRES_SERVER, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {exc}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    name = f"runflow_test_{uuid.uuid4().hex[:12]}"
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    server = POSTGRES_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{server}/{name}"


async def drop_postgres_database(url: str) -> None:
    emptying = _emptying.pop(url, None)
    if isinstance(emptying, asyncpg.Connection):
        await emptying.close()
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(POSTGRES_SERVER, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'runflow-test.db'}"


async def migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()


# Emptying runs before every test: one script in one round trip, on a connection kept per
# database, instead of an engine made (and its statements compiled) and a trip per table.
_EMPTY_ALL = "".join(
    f'DELETE FROM "{table.name}";' for table in reversed(target_metadata.sorted_tables)
)
_emptying: dict[str, asyncpg.Connection | sqlite3.Connection] = {}


async def empty_all_tables(url: str) -> None:
    """Every row gone, schema kept: each test starts from a fresh, migrated database."""
    connection = _emptying.get(url)
    if connection is None:
        connection = _emptying[url] = await _connect_plainly(url)
    if isinstance(connection, sqlite3.Connection):
        connection.executescript(f"BEGIN IMMEDIATE;{_EMPTY_ALL}COMMIT;")
    else:
        await connection.execute(_EMPTY_ALL)


async def _connect_plainly(url: str) -> asyncpg.Connection | sqlite3.Connection:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # The app's own connections are closed between tests; the timeout covers any that
        # a test's background work still holds for a moment.
        return sqlite3.connect(str(parsed.database), timeout=30, isolation_level=None)
    return await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(False))

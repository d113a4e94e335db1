"""Real test databases: an SQLite file and a throwaway PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import delete

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


async def empty_all_tables(url: str) -> None:
    """Every row gone, schema kept: each test starts from a fresh, migrated database."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            for table in reversed(target_metadata.sorted_tables):
                await session.execute(delete(table))
    finally:
        await database.dispose()

"""An SQLite too old for the statements Runflow writes is refused at start, with a clear reason."""

from __future__ import annotations

import sqlite3

import pytest

from runflow.db import engine
from runflow.db.engine import Database


def test_an_sqlite_older_than_needed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 37, 2))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.37.2")

    with pytest.raises(RuntimeError, match=r"needs SQLite 3\.38\.0 or newer; .* has 3\.37\.2"):
        Database("sqlite+aiosqlite:///:memory:")


async def test_this_machines_sqlite_is_new_enough() -> None:
    assert sqlite3.sqlite_version_info >= engine.MIN_SQLITE
    database = Database("sqlite+aiosqlite:///:memory:")
    await database.dispose()


async def test_postgresql_urls_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 0, 0))
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    assert not database.is_sqlite
    await database.dispose()

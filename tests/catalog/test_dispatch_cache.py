"""The models create requests dispatch to are cached for a few seconds; misses never are."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

import runflow.catalog.dispatch as dispatch
from runflow.db.engine import Database


@pytest.fixture
def queries(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM models" in statement:
            seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_a_model_found_is_read_once_within_the_ttl(
    database: Database, queries: list[str]
) -> None:
    org = uuid.uuid4()
    async with database.transaction(write=False) as session:
        first = await dispatch.dispatch_target(session, org, "runflow", "echo")
        second = await dispatch.dispatch_target(session, org, "runflow", "echo")

    assert first is not None
    assert second == first
    assert [declaration.name for declaration in first.inputs] == [
        "message",
        "delay_ms",
        "fail",
        "fail_message",
    ]
    assert len(queries) == 1


async def test_an_expired_entry_is_read_again(
    database: Database, queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "TTL_S", 0.0)
    org = uuid.uuid4()
    async with database.transaction(write=False) as session:
        await dispatch.dispatch_target(session, org, "runflow", "echo")
        await dispatch.dispatch_target(session, org, "runflow", "echo")

    assert len(queries) == 2


async def test_a_missing_model_is_never_cached(database: Database, queries: list[str]) -> None:
    org = uuid.uuid4()
    async with database.transaction(write=False) as session:
        assert await dispatch.dispatch_target(session, org, "runflow", "nope") is None
        assert await dispatch.dispatch_target(session, org, "runflow", "nope") is None

    assert len(queries) == 2

"""`JsonRows` on both databases: rows sent as one JSON parameter are stored exactly as
SQLAlchemy stores the same values itself, datetimes and UUIDs above all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Uuid, insert, select, text

from runflow.db.engine import Database
from runflow.db.json_rows import JsonRows
from runflow.db.types import JSONDocument, UTCDateTime

_metadata = MetaData()
_probes = Table(
    "json_rows_probes",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", Uuid),
    Column("at", UTCDateTime),
    Column("doc", JSONDocument),
)
_ROWS = JsonRows("probes", _probes)

# Datetimes whose stored form is easy to get wrong: no fraction (RFC 3339 leaves it out), the
# last microsecond of a day (rounding to milliseconds would carry into the next), offsets
# that move the date.
MOMENTS = [
    datetime(2026, 12, 5, 8, 33, 8, 123, tzinfo=UTC),
    datetime(2026, 12, 5, 8, 33, 8, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 12, 5, 0, 33, 8, 999_999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 12, 5, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-3))),
]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    try:
        yield database
    finally:
        async with database.engine.begin() as connection:
            await connection.run_sync(_metadata.drop_all)
        await database.dispose()


async def _insert_as_json_rows(database: Database, rows: list[dict[str, Any]]) -> None:
    async with database.transaction() as session:
        dialect = session.get_bind().dialect.name
        await session.execute(_ROWS.insert(dialect), _ROWS.parameters(dialect, rows))


async def _stored(database: Database, ids: range) -> list[tuple[Any, ...]]:
    """Each row's columns as the database holds them, text included (no type processing)."""
    query = text("SELECT ref, CAST(at AS TEXT), doc FROM json_rows_probes WHERE id = :id")
    async with database.transaction(write=False) as session:
        return [tuple((await session.execute(query, {"id": id_})).one()) for id_ in ids]


async def test_rows_are_stored_as_sqlalchemy_stores_the_same_values(database: Database) -> None:
    refs = [uuid.uuid4() for _ in MOMENTS]
    given: list[dict[str, Any]] = [
        {"id": n, "ref": ref, "at": at, "doc": {"n": n}}
        for n, (ref, at) in enumerate(zip(refs, MOMENTS, strict=True))
    ]
    await _insert_as_json_rows(database, [dict(row) for row in given])
    async with database.transaction() as session:
        await session.execute(insert(_probes), [{**row, "id": row["id"] + 100} for row in given])

    assert await _stored(database, range(len(MOMENTS))) == await _stored(
        database, range(100, 100 + len(MOMENTS))
    )
    async with database.transaction(write=False) as session:
        read = (await session.execute(select(_probes).order_by(_probes.c.id))).all()
    assert [(row.ref, row.at) for row in read[: len(MOMENTS)]] == list(
        zip(refs, MOMENTS, strict=True)
    )


async def test_absent_and_null_values_are_null(database: Database) -> None:
    await _insert_as_json_rows(database, [{"id": 1, "at": None, "doc": None}, {"id": 2}])

    async with database.transaction(write=False) as session:
        read = (await session.execute(select(_probes).order_by(_probes.c.id))).all()
    assert [(row.ref, row.at, row.doc) for row in read] == [(None, None, None)] * 2


async def test_a_document_orjson_refuses_stores_its_datetimes_the_same(
    database: Database,
) -> None:
    # An integer beyond 64 bits sends the whole document through the standard library.
    at = MOMENTS[3]
    await _insert_as_json_rows(
        database, [{"id": 1, "ref": uuid.UUID(int=7), "at": at, "doc": {"big": 2**70}}]
    )

    async with database.transaction(write=False) as session:
        read = (await session.execute(select(_probes))).one()
    assert (read.ref, read.at, read.doc) == (uuid.UUID(int=7), at, {"big": 2**70})

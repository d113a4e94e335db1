"""`Database.transaction` on SQLite: writers take turns, but only from their first statement;
and the one-trip connections behave as DB-API cursors for everything SQLAlchemy asks of them."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from runflow.db.engine import Database
from runflow.db.sqlite import OneTripConnection
from tests.db.conftest import NOTES_DB

DEADLINE_S = 10


async def _bodies(database: Database) -> list[str]:
    async with database.transaction(write=False) as session:
        return list((await session.scalars(text("SELECT body FROM notes ORDER BY id"))).all())


async def _add(database: Database, body: str) -> None:
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


async def test_a_writer_waits_for_nobody_until_its_first_statement(database: Database) -> None:
    async with database.transaction() as idle:
        # Another writer comes and goes while this one has not touched the database yet.
        await asyncio.wait_for(_add(database, "other"), DEADLINE_S)
        await idle.execute(text("INSERT INTO notes (body) VALUES ('idle')"))

    assert await _bodies(database) == ["other", "idle"]


async def test_writers_take_turns_once_they_have_begun(database: Database) -> None:
    async with database.transaction() as first:
        await first.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        second = asyncio.create_task(_add(database, "second"))
        # A round trip to SQLite and back: the second writer had every chance to go on.
        await first.execute(text("SELECT count(*) FROM notes"))
        assert not second.done()
    await asyncio.wait_for(second, DEADLINE_S)

    assert await _bodies(database) == ["first", "second"]


async def _fail_after_writing(database: Database) -> None:
    async with database.transaction() as failing:
        await failing.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
        raise RuntimeError("the unit of work failed")


async def test_a_failed_writer_gives_its_turn_back(database: Database) -> None:
    with pytest.raises(RuntimeError, match="unit of work failed"):
        await _fail_after_writing(database)

    await asyncio.wait_for(_add(database, "kept"), DEADLINE_S)
    assert await _bodies(database) == ["kept"]


async def test_statements_rows_and_counts_come_back_as_sqlalchemy_expects(
    database: Database,
) -> None:
    async with database.transaction() as session:
        many = [{"body": f"note {n}"} for n in range(5)]
        await session.execute(text("INSERT INTO notes (body) VALUES (:body)"), many)
        updated = await session.execute(
            text("UPDATE notes SET body = body || '!' WHERE id > 2 RETURNING id")
        )
        assert sorted(updated.scalars()) == [3, 4, 5]
        changed = await session.execute(text("UPDATE notes SET body = 'x' WHERE id <= 2"))
        assert changed.rowcount == 2  # type: ignore[attr-defined]
        first_two = (await session.execute(text("SELECT id FROM notes ORDER BY id"))).fetchmany(2)
        assert [row.id for row in first_two] == [1, 2]

    assert await _bodies(database) == ["x", "x", "note 2!", "note 3!", "note 4!"]


async def test_a_constraint_error_is_sqlalchemys_and_the_transaction_goes_on(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO notes (id, body) VALUES (1, 'one')"))
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(text("INSERT INTO notes (id, body) VALUES (1, 'again')"))
        await session.execute(text("INSERT INTO notes (id, body) VALUES (2, 'two')"))

    assert await _bodies(database) == ["one", "two"]


async def _write_two_megabytes(database: Database) -> None:
    async with database.transaction() as session:
        rows = [{"body": "x" * 2000} for _ in range(1000)]
        await session.execute(text("INSERT INTO notes (body) VALUES (:body)"), rows)


async def test_commits_leave_the_log_to_the_checkpointer(
    database: Database, tmp_path: Path
) -> None:
    """A commit does not copy the log into the database file; the checkpoint after it does."""
    checkpoints = database.checkpoints
    assert checkpoints is not None
    await checkpoints.close()  # the one the table's creation started
    main_file = tmp_path / NOTES_DB
    before = main_file.stat().st_size

    checkpoints.every_s = 3600  # no checkpoint due: the writes stay in the log
    await _write_two_megabytes(database)
    assert main_file.stat().st_size == before
    assert (tmp_path / f"{NOTES_DB}-wal").stat().st_size > 2_000_000

    checkpoints.every_s = 0  # due after the next write
    await _add(database, "last")
    await checkpoints.close()
    assert main_file.stat().st_size > before + 2_000_000
    busy, pages, copied = await checkpoints.run()
    assert (busy, copied) == (0, pages)
    assert len(await _bodies(database)) == 1001


async def test_a_begin_that_fails_stops_the_statement_it_travels_with(
    database: Database,
) -> None:
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: OneTripConnection = raw.driver_connection  # type: ignore[assignment]
        cursor = driver.cursor()
        await cursor.execute("BEGIN NONSENSE")  # sent with the next trip, not on its own

        with pytest.raises(sqlite3.OperationalError):
            await cursor.execute("INSERT INTO notes (body) VALUES ('never')")
        await cursor.execute("INSERT INTO notes (body) VALUES ('later')")  # autocommits

    assert await _bodies(database) == ["later"]

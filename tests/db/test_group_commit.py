"""Group commit: concurrent writers share a transaction, and only a failing writer fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.db.engine import Database
from runflow.db.group_commit import GroupCommit

DEADLINE_S = 10


class Recorder:
    """Writes note ids, remembering each group it was given."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []

    async def __call__(self, session: AsyncSession, ids: Sequence[int]) -> None:
        self.groups.append(list(ids))
        await session.execute(text("INSERT INTO notes (id) VALUES (:id)"), [{"id": i} for i in ids])


async def _stored(database: Database) -> list[int]:
    async with database.transaction(write=False) as session:
        return list((await session.scalars(text("SELECT id FROM notes ORDER BY id"))).all())


async def test_writers_arriving_together_share_a_transaction(database: Database) -> None:
    recorder = Recorder()
    group = GroupCommit(database, recorder, limit=50)

    await asyncio.wait_for(asyncio.gather(*(group.write(i) for i in range(1, 21))), DEADLINE_S)

    assert await _stored(database) == list(range(1, 21))
    assert sorted(i for ids in recorder.groups for i in ids) == list(range(1, 21))
    assert len(recorder.groups) < 20


async def test_a_group_holds_at_most_its_limit(database: Database) -> None:
    recorder = Recorder()
    group = GroupCommit(database, recorder, limit=3)

    await asyncio.wait_for(asyncio.gather(*(group.write(i) for i in range(1, 11))), DEADLINE_S)

    assert max(len(ids) for ids in recorder.groups) <= 3
    assert await _stored(database) == list(range(1, 11))


async def test_only_the_writer_whose_rows_fail_gets_the_error(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO notes (id) VALUES (5)"))
    group = GroupCommit(database, Recorder(), limit=50)

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(group.write(i) for i in range(1, 9)), return_exceptions=True),
        DEADLINE_S,
    )

    assert [type(outcome) for outcome in outcomes] == [
        type(None) if i != 5 else IntegrityError for i in range(1, 9)
    ]
    assert await _stored(database) == list(range(1, 9))


async def test_every_writer_hears_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    unreachable = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    group = GroupCommit(unreachable, Recorder(), limit=50)

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(group.write(i) for i in range(3)), return_exceptions=True), DEADLINE_S
    )

    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    await unreachable.dispose()


async def test_a_writer_that_goes_away_does_not_stop_the_others(database: Database) -> None:
    group = GroupCommit(database, Recorder(), limit=50)
    leaving = asyncio.create_task(group.write(1))
    staying = [asyncio.create_task(group.write(i)) for i in (2, 3)]
    await asyncio.sleep(0)  # all three handed over
    leaving.cancel()

    await asyncio.wait_for(asyncio.gather(*staying), DEADLINE_S)

    assert {2, 3} <= set(await _stored(database))

"""Change notices reach a stream that began watching while the change was being written."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from fastapi import FastAPI

from runflow.db.engine import Database
from runflow.live.changes import announce, changes_of


async def test_a_watch_begun_during_a_writing_transaction_hears_its_commit(
    app: FastAPI, database: Database
) -> None:
    """A stream that opens while a completion is being written reads the state before it; it
    must still be told of the commit, or it waits for a change that already happened."""
    changes = changes_of(database.engine.url)
    batch_id = uuid.uuid4()
    with contextlib.ExitStack() as watching:
        async with database.transaction() as session:
            await announce(session, [batch_id])  # nobody watches yet
            changed = watching.enter_context(changes.watch(batch_id))
            assert not changed.is_set()
        # Committed: heard at once on SQLite, through LISTEN/NOTIFY on PostgreSQL.
        await asyncio.wait_for(changed.wait(), timeout=60)

"""Group commit: concurrent writers that must know their rows are committed share one
transaction.

Each caller hands over what it wants written and waits. One task writes at a time: it opens
a transaction, waits for its turn to write (on SQLite, the one writer), then takes everything
handed over by then — up to `limit` — writes it, commits, and answers every caller. Under
load a group forms on its own from the callers that arrived during the write before; alone,
a caller waits for nobody. Should a group's transaction fail, its members are written one by
one, so that only the caller whose rows fail gets the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.db.engine import Database

T = TypeVar("T")

_Waiting = tuple[T, "asyncio.Future[None]"]


class GroupCommit(Generic[T]):
    def __init__(
        self,
        database: Database,
        write: Callable[[AsyncSession, Sequence[T]], Awaitable[None]],
        *,
        limit: int,
    ) -> None:
        self._database = database
        self._write = write
        self._limit = limit
        self._waiting: list[_Waiting[T]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, item: T) -> None:
        """Returns once `item` is committed; raises what writing it raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="runflow-group-commit")
        await done

    async def _write_all(self) -> None:
        while self._waiting:
            group: list[_Waiting[T]] = []
            try:
                async with self._database.transaction(for_request=True) as session:
                    await session.connection()  # begun: this transaction's turn has come
                    group, self._waiting = (
                        self._waiting[: self._limit],
                        self._waiting[self._limit :],
                    )
                    await self._write(session, [item for item, _ in group])
            except Exception as exc:
                if group:
                    await self._write_one_by_one(group)
                else:  # no transaction at all (the database is unreachable): tell them all
                    self._give_up(exc)
            except BaseException as stopped:  # cancelled with the process: nobody waits forever
                self._waiting[:0] = group
                self._give_up(stopped)
                raise
            else:
                for _, done in group:
                    _settle(done, None)

    def _give_up(self, error: BaseException) -> None:
        for _, done in self._waiting:
            _settle(done, error)
        self._waiting = []

    async def _write_one_by_one(self, group: list[_Waiting[T]]) -> None:
        for item, done in group:
            try:
                async with self._database.transaction(for_request=True) as session:
                    await self._write(session, [item])
            except Exception as exc:
                _settle(done, exc)
            else:
                _settle(done, None)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():  # its caller went away (a client that hung up)
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)

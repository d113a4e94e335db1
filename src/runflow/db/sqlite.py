"""aiosqlite connections that make one trip to their thread per statement.

aiosqlite runs each call on the connection's own thread and hands the result back to the
event loop. Through SQLAlchemy a statement is four such calls: open a cursor, execute, fetch
the rows, close the cursor. Each trip waits for the event loop to come round, and on a busy
loop that wait, four times over, is most of what a short write transaction lasts — while
SQLite's one write lock is held. Here a statement and the fetch of its rows are one call,
the cursor opens inside it, and closing it is sent without waiting. A `BEGIN` returns nothing
to wait for: it travels with the statement that follows it.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

import aiosqlite

_Rows = list[Any]


class OneTripConnection(aiosqlite.Connection):
    """The connection SQLAlchemy's aiosqlite dialect drives, with `OneTripCursor`s."""

    _begin: str | None = None  # a BEGIN not sent yet

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def begin_with_next_trip(self, sql: str) -> None:
        self._begin = sql

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Every trip (a statement, commit, rollback) takes a pending BEGIN along first. If
        the BEGIN fails, what came with it does not run and its caller gets the error."""
        begin, self._begin = self._begin, None
        if begin is not None:
            fn = functools.partial(self._begin_then, begin, fn)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    def _begin_then(self, begin: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.sqlite.execute(begin)  # on the connection's thread
        return fn(*args, **kwargs)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` on the connection's thread."""
        return await self._execute(function, *args)

    def run_later(self, function: Callable[[], Any]) -> None:
        """`function()` on the connection's thread, after what is queued, without waiting."""
        self._tx.put_nowait((None, function))

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._conn


class OneTripCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; rows are fetched with the execute."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None
        self._rows: _Rows | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _open(self) -> sqlite3.Cursor:  # on the connection's thread
        if self._cursor is None:
            self._cursor = self._connection.sqlite.cursor()
        return self._cursor

    def _execute_and_fetch(self, sql: str, parameters: Any) -> _Rows | None:
        cursor = self._open()
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else None

    def _execute_many(self, sql: str, parameters: Iterable[Any]) -> None:
        self._open().executemany(sql, parameters)

    async def execute(self, sql: str, parameters: Any = ()) -> OneTripCursor:
        if sql.startswith("BEGIN"):
            self._rows = None
            self._connection.begin_with_next_trip(sql)
            return self
        self._rows = await self._connection.run(self._execute_and_fetch, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        self._rows = None
        await self._connection.run(self._execute_many, sql, parameters)
        return self

    async def fetchall(self) -> _Rows:
        rows, self._rows = self._rows or [], None
        return rows

    async def fetchone(self) -> Any:
        if not self._rows:
            return None
        return self._rows.pop(0)

    async def fetchmany(self, size: int | None = None) -> _Rows:
        rows = self._rows or []
        taken, self._rows = rows[: size or self.arraysize], rows[size or self.arraysize :]
        return taken

    async def close(self) -> None:
        self._rows = None
        if self._cursor is not None:
            self._connection.run_later(self._cursor.close)
            self._cursor = None

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid


def connector(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Callable[[], Any]:
    """An `async_creator` for SQLAlchemy: a started `OneTripConnection` to what `args` name."""

    async def connect() -> OneTripConnection:
        def open_sqlite() -> sqlite3.Connection:
            opened: sqlite3.Connection = sqlite3.connect(*args, **kwargs)  # on its thread
            return opened

        connection = OneTripConnection(open_sqlite, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's dialect does: exit never waits on it
        await connection
        return connection

    return connect

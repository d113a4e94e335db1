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

import asyncio
import functools
import math
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

import aiosqlite
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)

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


class Checkpoints:
    """Copies the write-ahead log back into the database file, off the commit path.

    SQLite's automatic checkpoint runs inside the commit that crosses 1,000 log pages: that
    commit copies them and syncs the file while holding the one writer (in the echo bench,
    one commit in five, 6 ms each). Connections here turn it off (`wal_autocheckpoint=0`), and
    a PASSIVE checkpoint, which never blocks the writer, runs on its own connection after a
    write, at most every `every_s`. The last connection to close checkpoints what is left.
    """

    def __init__(self, engine: AsyncEngine, every_s: float = 1.0) -> None:
        self._engine = engine
        self.every_s = every_s
        self._last = -math.inf
        self._running: asyncio.Task[None] | None = None

    def after_write(self) -> None:
        now = time.monotonic()
        if now - self._last < self.every_s or (self._running and not self._running.done()):
            return
        self._last = now
        self._running = asyncio.create_task(self._checkpoint(), name="runflow-wal-checkpoint")

    async def run(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint now: `(busy, log pages, pages copied)`, as SQLite says."""
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: OneTripConnection = raw.driver_connection  # type: ignore[assignment]
            busy, pages, copied = await driver.run(_passive_checkpoint, driver.sqlite)
            return busy, pages, copied

    async def _checkpoint(self) -> None:
        try:
            await self.run()
        except Exception:
            log.warning("wal_checkpoint_failed", exc_info=True)

    async def close(self) -> None:
        if self._running is not None:
            await self._running


def _passive_checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    busy, pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(pages), int(copied)


class WriterQueue:
    """This process's queue for SQLite's one writer, in two lanes.

    Transactions serving a request go before background ones (the engine's claims and
    write-backs, callback bookkeeping): a client waiting for its answer should not wait behind
    a write-back of 500 runs, which loses nothing by waiting a turn. Background work still
    gets every `background_every`-th turn while requests queue, so they cannot starve it.
    """

    def __init__(self, background_every: int = 3) -> None:
        self._background_every = background_every
        self._held = False
        self._requests: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._requests_in_a_row = 0

    async def acquire(self, *, for_request: bool) -> None:
        if not self._held and not self._requests and not self._background:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._requests if for_request else self._background).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the turn came as its waiter was cancelled: pass it on
            raise

    def release(self) -> None:
        """Hand the writer to the next waiter, or free it."""
        while True:
            lane = self._next_lane()
            if lane is None:
                self._held = False
                return
            waiter = lane.popleft()
            if not waiter.done():  # not cancelled while it waited
                waiter.set_result(None)
                return

    def _next_lane(self) -> deque[asyncio.Future[None]] | None:
        if self._background and (
            not self._requests or self._requests_in_a_row >= self._background_every
        ):
            self._requests_in_a_row = 0
            return self._background
        if self._requests:
            self._requests_in_a_row += 1
            return self._requests
        return None

"""The database handle: one async engine and the one place transactions begin and end."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

from runflow.db import sqlite, sqlite_writer
from runflow.kit import json_codec

_WRITE_TURN = "runflow_write_turn"
# RETURNING (3.35), UPDATE … FROM (3.33) and the `->` JSON operator (3.38, `db/json_rows.py`).
MIN_SQLITE = (3, 38, 0)
# Connections kept open: enough for the requests and engine loops of a busy process.
SQLITE_POOL_SIZE = 32


class _WriteTurn:
    """One write transaction's turn at SQLite's one writer (this process's queue for it).

    Taken when the transaction first touches the database, not when its session opens:
    whatever a request works out before its first statement — checking a hundred items,
    encoding the rows — runs while other transactions write, instead of keeping them waiting.
    """

    def __init__(self, writer: sqlite_writer.WriterQueue, *, for_request: bool) -> None:
        self._writer = writer
        self._for_request = for_request
        self._held = False

    async def take(self) -> None:
        await self._writer.acquire(for_request=self._for_request)
        self._held = True

    def give_back(self) -> None:
        if self._held:
            self._held = False
            self._writer.release()


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and transactions that say up front whether they will write.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT, so we emit BEGIN
    ourselves. Writers use BEGIN IMMEDIATE: they queue on the write lock at the start (bounded
    by busy_timeout) instead of failing with SQLITE_BUSY when a read lock cannot be upgraded.
    Before that, they wait for their turn in this process (`_WriteTurn`).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "wal_autocheckpoint=0",  # `sqlite_writer.Checkpoints` does it, off the commit path
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        turn: _WriteTurn | None = connection.get_execution_options().get(_WRITE_TURN)
        if turn is None:
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        await_(turn.take())  # runs inside SQLAlchemy's greenlet: the event loop goes on
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            turn.give_back()
            raise


class Database:
    """Owns the engine; hands out sessions whose transaction it commits or rolls back."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite and sqlite3.sqlite_version_info < MIN_SQLITE:
            raise RuntimeError(
                f"Runflow needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python "
                f"has {sqlite3.sqlite_version}. Use a newer Python build, or PostgreSQL."
            )
        options: dict[str, Any] = {
            "echo": echo,
            "json_serializer": json_codec.dumps,
            "json_deserializer": json_codec.loads,
        }
        if self.is_sqlite:
            dialect = make_url(url).get_dialect()()
            options["async_creator"] = sqlite.connector(*dialect.create_connect_args(make_url(url)))
            if make_url(url).database not in (None, "", ":memory:"):
                # A connection is a thread here: kept for every request in flight rather than
                # opened (a thread started, the pragmas run) and closed again past the default
                # 5. (An in-memory database has one connection, and no pool to size.)
                options.update(
                    pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE, pool_use_lifo=True
                )
        else:
            # No pre-ping: it costs a round trip per transaction; dropped connections surface as
            # errors the engine's loops retry, and pool_recycle retires idle ones. Twenty kept
            # open: with fewer, 20 requests in flight open and close a connection each (a
            # server process forked) per request past the pool. Last in, first out: the warm
            # connections, whose prepared statements are cached, serve the steady load, and
            # the others only bursts (first in, first out made all twenty prepare everything).
            options.update(pool_size=20, max_overflow=10, pool_recycle=1800, pool_use_lifo=True)
        self.engine = create_async_engine(url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer. Queueing this process's writers here, instead of in SQLite's
        # busy handler (which polls with sleeps of up to 100 ms), keeps write latency at the
        # length of the transactions ahead; other processes still meet busy_timeout.
        self._sqlite_writer = sqlite_writer.WriterQueue() if self.is_sqlite else None
        self.checkpoints = sqlite_writer.Checkpoints(self.engine) if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(
        self, *, write: bool = True, for_request: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block succeeds, rolls back when it raises.

        On SQLite a write transaction begins (and waits for the writer) at its first statement;
        `for_request` ones, which a client is waiting for, go before background ones.
        """
        if write and self._sqlite_writer is not None:
            turn = _WriteTurn(self._sqlite_writer, for_request=for_request)
            bind = self.engine.execution_options(**{_WRITE_TURN: turn})
            try:
                async with self._session(self.sessionmaker(bind=bind)) as session:
                    yield session
            finally:
                turn.give_back()
            if self.checkpoints is not None:
                self.checkpoints.after_write()
        else:
            async with self._session(self.sessionmaker()) as session:
                yield session

    @asynccontextmanager
    async def _session(self, session: AsyncSession) -> AsyncIterator[AsyncSession]:
        async with session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        if self.checkpoints is not None:
            await self.checkpoints.close()
        await self.engine.dispose()


def after_commit(session: AsyncSession, then: Callable[[], None]) -> None:
    """Call `then` once this transaction commits, never if it rolls back."""

    def committed(_: Any) -> None:
        then()

    event.listen(session.sync_session, "after_commit", committed, once=True)

"""SQLite's one writer, shared well by this process: whose turn it is, and checkpoints that
keep out of the writer's way."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections import deque

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from runflow.db.sqlite import OneTripConnection

log = structlog.get_logger(__name__)


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

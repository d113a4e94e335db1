"""Write-behind in chunks: many tasks hand over results, one loop writes them a chunk at a time.

One transaction per chunk instead of one per result is what makes completions and callback
attempts cheap under load. A chunk whose write fails goes back to the front of the queue and is
tried again after `retry_after_s`, so nothing handed over is dropped while the process lives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class WriteBehind(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[bool]],
        *,
        chunk: int,
        gather_s: float,
        retry_after_s: float,
    ) -> None:
        """`write(chunk)` returns False when the chunk could not be written."""
        self._write = write
        self._chunk = chunk
        self._gather_s = gather_s
        self._retry_after_s = retry_after_s
        self._pending: list[T] = []
        self._wanted = asyncio.Event()
        self._stopping = False

    def put(self, item: T) -> None:
        self._pending.append(item)
        self._wanted.set()

    def stop(self) -> None:
        """Let `run` return once the write in progress (if any) is done; `drain` the rest."""
        self._stopping = True
        self._wanted.set()

    async def run(self) -> None:
        """The writing loop; runs until `stop` (or cancelled)."""
        while True:
            await self._wanted.wait()
            if self._stopping:
                return
            await asyncio.sleep(self._gather_s)  # let a chunk gather
            self._wanted.clear()
            chunk = self._pending[: self._chunk]
            self._pending = self._pending[self._chunk :]
            if self._pending:
                self._wanted.set()
            try:
                written = await self._write(chunk)
            except asyncio.CancelledError:
                # Stopped mid-write: `drain` writes the chunk again. Both users fence their
                # writes, so a chunk whose commit did land is discarded the second time.
                self._pending[:0] = chunk
                raise
            if not written:
                self._pending[:0] = chunk
                if self._stopping:
                    return
                await asyncio.sleep(self._retry_after_s)
                self._wanted.set()

    async def drain(self, last: Iterable[T] = ()) -> None:
        """Write what is pending (and `last`) now, in one go: for shutdown, after `run` stopped."""
        everything = [*self._pending, *last]
        self._pending = []
        if everything:
            await self._write(everything)

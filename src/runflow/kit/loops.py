"""Ending the background loops of the engine and the callback sender."""

from __future__ import annotations

import asyncio


async def end_loop(task: asyncio.Task[None], timeout_s: float) -> None:
    """Wait for a loop that was asked to stop; cancel it only if it has not within `timeout_s`.

    Loops are asked, not cancelled, so they end between transactions: a loop cancelled inside
    one can leave its connection holding SQLite's write lock after the process stopped using it.
    """
    done, _ = await asyncio.wait([task], timeout=timeout_s)
    if not done:
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)

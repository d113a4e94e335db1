"""A graceful stop (DESIGN §20): from the signal on, no run is claimed; running runs have
`RUNFLOW_SHUTDOWN_GRACE_S` to finish, then go straight back to the queue. Callback attempts in
flight get what the runs left of that grace, then are recorded as interrupted and due again:
the whole stop takes the grace, not the grace twice.

`runflow serve` learns of the signal in uvicorn's handler, before uvicorn drains its
connections; the engine stops claiming at once, and what the drain took comes off the grace
the runs are left when the app shuts down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Shutdown:
    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self._began: float | None = None
        self._listeners: list[tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = []

    def when_begun(self, callback: Callable[[], None]) -> None:
        """Call `callback` on this event loop when the stop begins (at once if it has)."""
        loop = asyncio.get_running_loop()
        if self._began is not None:
            loop.call_soon(callback)
        self._listeners.append((loop, callback))

    def begin(self) -> None:
        """The signal came; safe to call from a signal handler, and more than once."""
        if self._began is not None:
            return
        self._began = time.monotonic()
        for loop, callback in self._listeners:
            loop.call_soon_threadsafe(callback)

    def grace_left_s(self) -> float:
        if self._began is None:
            return self.grace_s
        return max(0.0, self.grace_s - (time.monotonic() - self._began))

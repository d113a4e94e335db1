"""Blocking calls on daemon threads, awaited from the event loop.

For code Runflow does not control (a customer's model): `run_in_executor` on a
`ThreadPoolExecutor` would do, except that the interpreter joins a pool's threads at exit. A
model that ignores `context.cancelled` and never returns after its run timed out would then keep
`runflow serve` or `runflow worker` alive for ever after `SIGTERM` (DESIGN §20), and hold one
of the pool's threads meanwhile. A daemon thread is dropped at exit instead, and holds only
itself.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_numbers = itertools.count(1)


async def run_on_daemon_thread(name: str, function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` on a new daemon thread named `name-N`; its result or its exception.

    Cancelling the await abandons the thread, which runs on until the call returns."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[T] = loop.create_future()

    def succeeded(result: T) -> None:
        if not outcome.done():  # not abandoned meanwhile
            outcome.set_result(result)

    def failed(error: BaseException) -> None:
        if not outcome.done():
            outcome.set_exception(error)

    def call() -> None:
        try:
            try:
                result = function(*args)
            except BaseException as error:  # handed to the awaiting task, as an executor does
                loop.call_soon_threadsafe(failed, error)
            else:
                loop.call_soon_threadsafe(succeeded, result)
        except RuntimeError:  # the loop closed while the call ran: nobody awaits it now
            pass

    threading.Thread(target=call, name=f"{name}-{next(_numbers)}", daemon=True).start()
    return await outcome

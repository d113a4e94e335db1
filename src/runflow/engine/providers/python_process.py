"""Python models with `process = true`: run in a pool of worker processes, not threads.

A CPU-heavy model on a thread holds the GIL in turns with the event loop, and the API slows
down; in its own process it cannot. The pool's processes are spawned (not forked: this
process runs threads and an event loop), import the model themselves and call its `setup()`
once per process. The model's `context` events and the cancel signal cross through a
`multiprocessing` manager; inputs and the returned dict travel pickled, so they must be
picklable (PIL images, Paths, bytes and JSON values are).
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

from runflow.catalog.models_file import import_entry
from runflow.engine.providers import ProviderEvent
from runflow.engine.providers.python_context import RunContext, StopSignal

# Setups done in this (child) process, by (folder, entry, setup).
_SET_UP: set[tuple[str, str, str | None]] = set()


class SetupFailed(Exception):
    """The model's `setup()` raised; the message is its own."""


class ProcessDied(Exception):
    """A pool process ended without an answer (killed, crashed, `os._exit`)."""


@dataclass(frozen=True)
class ProcessOutcome:
    result: object
    usage: dict[str, float]
    nodes_total: int
    nodes_completed: int


def _run_in_child(
    model: str,
    settings: Mapping[str, Any],
    inputs: dict[str, Any],
    events: Any,  # a manager Queue proxy
    stop: StopSignal,
) -> ProcessOutcome:
    root, entry, setup = Path(settings["root"]), settings["entry"], settings.get("setup")
    key = (str(root), str(entry), setup)
    if setup and key not in _SET_UP:
        try:
            import_entry(root, setup)()
        except Exception as exc:
            raise SetupFailed(str(exc) or type(exc).__name__) from exc
        _SET_UP.add(key)
    run = import_entry(root, entry)
    context = RunContext(model, events.put, stop)
    result = run(inputs, context)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return ProcessOutcome(
        result, context.reported_usage, context.nodes_total, context.nodes_completed
    )


class ProcessRunner:
    """The pool and the manager, started at the first `process = true` run."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._manager: SyncManager | None = None
        self._starting = asyncio.Lock()

    async def _started(self) -> tuple[ProcessPoolExecutor, SyncManager]:
        async with self._starting:
            if self._pool is None or self._manager is None:
                spawn = multiprocessing.get_context("spawn")
                self._manager = await asyncio.to_thread(_started_manager, spawn)
                self._pool = ProcessPoolExecutor(self._processes, mp_context=spawn)
            return self._pool, self._manager

    async def run(
        self,
        model: str,
        settings: Mapping[str, Any],
        inputs: dict[str, Any],
        emit: Callable[[ProviderEvent], None],
        on_stop: Callable[[StopSignal], None],
    ) -> ProcessOutcome:
        """Run the model in a pool process; `on_stop` receives the signal cancel must set."""
        pool, manager = await self._started()
        events, stop = manager.Queue(), manager.Event()
        on_stop(stop)

        async def relay() -> None:
            while (event := await asyncio.to_thread(events.get)) is not None:
                emit(event)

        relaying = asyncio.create_task(relay())
        try:
            future = pool.submit(_run_in_child, model, settings, inputs, events, stop)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._pool = None  # the next run starts a fresh pool
            raise ProcessDied("The model's process ended without an answer.") from None
        finally:
            await asyncio.to_thread(events.put, None)
            await relaying

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._manager is not None:
            self._manager.shutdown()


def _started_manager(context: Any) -> SyncManager:
    manager = SyncManager(ctx=context)
    manager.start()
    return manager

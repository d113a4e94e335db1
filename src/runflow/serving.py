"""The processes that keep running: `runflow serve` (the HTTP API under uvicorn, the engine in
it; or N HTTP processes and the engine in a `runflow worker` of its own) and `runflow worker`
(the engine alone, with its own `/metrics` when asked).

`cli.py` imports this module only for those two commands: the web stack, the engine and the
models' libraries are what make a process start slowly, and `keys`, `credits` or `migrate`
need none of them.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import signal
import subprocess
import sys
from types import FrameType

import uvicorn

from runflow.app import create_app
from runflow.bootstrap import open_database
from runflow.callbacks.outbox import Outbox
from runflow.config import Settings
from runflow.engine.assembly import build_dispatcher, build_sender
from runflow.engine.shutdown import Shutdown
from runflow.metrics.worker_server import MetricsServer


def long_running() -> None:
    """Tune the cyclic garbage collector for a server process, once everything is imported.

    What start-up made (modules, schemas, compiled statements) lives until exit: frozen, full
    collections stop re-scanning it — each took tens of milliseconds with the loop blocked.
    The engine makes thousands of short-lived rows per chunk: young collections every 10,000
    allocations instead of 700 leave them to reference counting, which frees them anyway.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def serve_api(settings: Settings, migrate: bool | None) -> None:
    """One process: the API, and the engine unless `RUNFLOW_WORKER_CONCURRENCY=0`."""
    application = create_app(settings, migrate=migrate)
    long_running()
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        # Streams stay open until told: the drain may take this long, then they are closed.
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
    )
    _GracefulServer(config, application.state.shutdown).run()


def serve_processes(settings: Settings, workers: int) -> None:
    """`serve --workers N` (PostgreSQL, migrated): N uvicorn processes answer HTTP, one engine
    process runs."""
    # Every process adds its samples to these files; /metrics in any of them sums them all.
    metrics_dir = settings.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    engine = None
    if settings.worker_concurrency > 0:
        engine = subprocess.Popen([sys.executable, "-m", "runflow", "worker"])
    os.environ["RUNFLOW_WORKER_CONCURRENCY"] = "0"  # the HTTP processes run no engine
    os.environ["RUNFLOW_HOST"], os.environ["RUNFLOW_PORT"] = settings.host, str(settings.port)
    try:
        uvicorn.run(
            "runflow.app:create_served_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_config=None,
            proxy_headers=True,
            timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
        )
    finally:
        if engine is not None:
            engine.send_signal(signal.SIGTERM)
            engine.wait()


class _GracefulServer(uvicorn.Server):
    """uvicorn, telling the engine of SIGTERM the moment it comes, not after the drain."""

    def __init__(self, config: uvicorn.Config, shutdown: Shutdown) -> None:
        super().__init__(config)
        self.graceful = shutdown

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.graceful.begin()
        super().handle_exit(sig, frame)
        # uvicorn raises the signal again once it has shut down, which ends the process
        # "killed by SIGTERM"; a graceful stop exits 0 (DESIGN §20), so it is not kept.
        self._captured_signals.clear()


async def run_worker(settings: Settings) -> None:
    """The engine and (unless `RUNFLOW_SENDER=off`) the sender until SIGTERM or SIGINT, then
    the graceful stop."""
    database = await open_database(settings, migrate=settings.is_sqlite)
    outbox = Outbox.from_settings(settings)
    sender = build_sender(database, settings, outbox) if settings.sends else None
    dispatcher = build_dispatcher(database, settings, outbox)
    port = settings.worker_metrics_port
    metrics = None if port is None else MetricsServer(settings, database, port)
    stop = asyncio.Event()
    shutdown = Shutdown(settings.shutdown_grace_s)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if metrics is not None:
        await metrics.start()
    if sender is not None:
        await sender.start()
    await dispatcher.start()
    try:
        await stop.wait()
    finally:
        # One grace for the whole stop: what the runs leave of it, the sender's attempts get.
        shutdown.begin()
        await dispatcher.stop(shutdown.grace_left_s())
        if sender is not None:
            await sender.stop(shutdown.grace_left_s())
        if metrics is not None:
            await metrics.stop()
        await database.dispose()

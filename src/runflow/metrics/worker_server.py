"""`/metrics` of a `runflow worker`: the engine's counters and histograms live in the worker's
own process, so a worker on another machine (no API beside it) serves them itself, on
`RUNFLOW_WORKER_METRICS_PORT` — the same route, token and queue depth as the API's `/metrics`,
and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import structlog
import uvicorn
from fastapi import FastAPI

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.errors import install_error_handlers
from runflow.kit.routes import serve_routes
from runflow.metrics.router import router
from runflow.middleware import AccessLog

log = structlog.get_logger(__name__)


def metrics_app(settings: Settings, database: Database) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.database = database
    install_error_handlers(app)
    # As the API's: an `X-Request-Id` on every answer (DESIGN §20), a log line, the HTTP metric.
    app.add_middleware(AccessLog)
    serve_routes(app, router)
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # SIGTERM is the worker's: it stops claiming and hands runs back (graceful stop).
        yield


class MetricsServer:
    """The app above on `host:port`, served from the worker's event loop beside the engine."""

    def __init__(self, settings: Settings, database: Database, port: int) -> None:
        self.host = settings.host
        self.port = port
        config = uvicorn.Config(
            metrics_app(settings, database), log_config=None, access_log=False, lifespan="off"
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bound here, not by uvicorn (which exits the process when it cannot bind): a port
        in use is an `OSError` that says so."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        bound = socket.create_server((self.host, self.port), family=family)
        self.port = bound.getsockname()[1]
        self._task = asyncio.create_task(
            self._server.serve(sockets=[bound]), name="runflow-worker-metrics"
        )
        log.info("worker_metrics_serving", host=self.host, port=self.port)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task

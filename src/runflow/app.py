"""The ASGI application: routers, error handlers, middleware, and start-up work."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from runflow import __version__
from runflow.api_docs import install_offline_docs
from runflow.auth.router import router as account_router
from runflow.batches import service as batches_service
from runflow.batches.router import router as batches_router
from runflow.batches.service import NEW_BATCHES_PER_COMMIT
from runflow.bootstrap import prepare_database
from runflow.callbacks.outbox import Outbox
from runflow.callbacks.router import router as callbacks_router
from runflow.catalog.router import router as catalog_router
from runflow.config import Settings
from runflow.credits.router import router as credits_router
from runflow.dashboard.router import install as install_dashboard
from runflow.db.engine import Database
from runflow.db.group_commit import GroupCommit
from runflow.engine.assembly import build_dispatcher, build_sender, egress_guard
from runflow.engine.shutdown import Shutdown
from runflow.errors import install_error_handlers
from runflow.evaluations.router import router as evaluations_router
from runflow.keyring.service import CURSOR_SECRET, service_secret
from runflow.kit.routes import serve_routes
from runflow.live.changes import changes_of, listening
from runflow.live.router import router as live_router
from runflow.logs import configure_logging
from runflow.media.dependencies import open_media_library
from runflow.media.router import router as media_router
from runflow.metrics.router import router as metrics_router
from runflow.middleware import AccessLog, BodySizeLimit
from runflow.openapi import install_contract_openapi
from runflow.query.cursor import CursorCodec
from runflow.runs.router import router as runs_router
from runflow.status.router import router as status_router
from runflow.webhooks.router import events_router
from runflow.webhooks.router import router as webhooks_router

log = structlog.get_logger(__name__)

DESCRIPTION = (
    "Public Runflow API. Run AI image and video models, manage media, inspect run history, "
    "and configure webhooks. Auth: HTTP Bearer."
)


def create_served_app() -> FastAPI:
    """The app of each process of `runflow serve --workers N`, configured from the environment
    as `serve` configures its own."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def create_app(settings: Settings | None = None, *, migrate: bool | None = None) -> FastAPI:
    """Build the app. Embedded SQLite migrates itself; PostgreSQL uses `runflow migrate`."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url)
        await prepare_database(
            database, settings, migrate=database.is_sqlite if migrate is None else migrate
        )
        async with database.transaction() as session:
            cursor_secret = await service_secret(session, CURSOR_SECRET)
        app.state.database = database
        app.state.cursor_codec = CursorCodec(cursor_secret)
        app.state.outbox = outbox = Outbox.from_settings(settings)
        app.state.egress_guard = egress_guard(settings)
        app.state.media_library = await open_media_library(settings, database)
        app.state.new_batches = GroupCommit(
            database,
            functools.partial(batches_service.insert_batches, outbox=outbox),
            limit=NEW_BATCHES_PER_COMMIT,
        )
        app.state.dispatcher = app.state.sender = None
        if settings.sends:
            app.state.sender = build_sender(database, settings, outbox)
            await app.state.sender.start()
        if settings.worker_concurrency > 0:
            app.state.dispatcher = build_dispatcher(database, settings, outbox)
            await app.state.dispatcher.start()
            app.state.shutdown.when_begun(app.state.dispatcher.stop_claiming)
        log.info("started", database=database.engine.url.render_as_string(hide_password=True))
        changes = listening(settings.resolved_database_url, changes_of(database.engine.url))
        try:
            async with changes:
                yield
        finally:
            if app.state.dispatcher is not None:
                await app.state.dispatcher.stop(app.state.shutdown.grace_left_s())
            if app.state.sender is not None:
                await app.state.sender.stop(app.state.shutdown.grace_left_s())
            await database.dispose()

    app = FastAPI(
        title="Runflow API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own pages load their scripts from a CDN; `install_offline_docs` serves them.
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "Models", "description": "Browse the model catalog and dispatch runs."},
            {"name": "Runs", "description": "Inspect and cancel runs; read logs and node runs."},
            {"name": "Batches", "description": "Run a model on multiple inputs in one request."},
            {
                "name": "Evaluations",
                "description": "Submit an image generated anywhere for automated quality "
                "evaluation, then read a pass verdict, a 0-1 score, and structured issues. "
                "No Runflow run required.",
            },
            {
                "name": "Webhooks",
                "description": "Subscribe to platform events. Inspect delivery history, "
                "redeliver failed callbacks, manage signing secrets.",
            },
            {"name": "Account", "description": "Read your account identity and credit balance."},
            {"name": "Status", "description": "Health and readiness probes for the API."},
        ],
    )
    app.state.settings = settings
    # `runflow serve` begins it at the signal; otherwise the app's shutdown is the signal.
    app.state.shutdown = Shutdown(settings.shutdown_grace_s)
    install_error_handlers(app)
    install_contract_openapi(app, settings)
    install_offline_docs(app)
    for router in (
        catalog_router,
        batches_router,
        callbacks_router,
        runs_router,
        evaluations_router,
        live_router,
        media_router,
        webhooks_router,
        events_router,
        account_router,
        credits_router,
        status_router,
        metrics_router,
    ):
        serve_routes(app, router)
    install_dashboard(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    return app

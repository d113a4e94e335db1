"""Fixtures: every API test runs against real SQLite and real PostgreSQL, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from runflow.app import create_app
from runflow.auth import service as auth_service
from runflow.auth.roles import Role
from runflow.callbacks.outbox import Outbox
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.logs import configure_logging
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    empty_all_tables,
    migrate,
    sqlite_url,
)

MakeKey = Callable[..., Awaitable[str]]

# Plain JSON lines: the default console renderer draws rich tracebacks with locals, which is
# slow enough to stall an engine test that logs an exception.
configure_logging("WARNING", "json")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database of each kind, shared by the session and emptied between tests."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("sqlite"))
        await migrate(url)
        yield url
        return
    url = await create_postgres_database()
    try:
        await migrate(url)
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own, for what only PostgreSQL does."""
    url = await create_postgres_database()
    await migrate(url)
    yield url
    await drop_postgres_database(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """API only by default; `@pytest.mark.engine(worker_concurrency=8, lease_s=1)` runs the
    in-process dispatcher too, as `runflow serve` does."""
    marker = request.node.get_closest_marker("engine")
    engine: dict[str, object] = {"worker_concurrency": 0}
    if marker is not None:
        engine = {"worker_concurrency": 16, **marker.kwargs}
    # Callback receivers and media servers of the tests listen on loopback.
    # Runs and deliveries still going when a test's app shuts down get 1 s, not an
    # operator's 30: they are handed back (nothing is lost), and a test waits for none.
    base = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        callback_allow_cidrs=("127.0.0.0/8",),
        shutdown_grace_s=1,
    )
    return base.model_copy(update=engine)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    await empty_all_tables(settings.resolved_database_url)
    application = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def database(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


@pytest.fixture
def outbox(app: FastAPI) -> Outbox:
    """The app's callback outbox, for dispatchers a test starts by hand."""
    box: Outbox = app.state.outbox
    return box


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://runflow.test") as http:
        yield http


@pytest.fixture
def make_key(database: Database) -> MakeKey:
    """Issue a real API key: `await make_key(org="acme", role=Role.VIEWER, verified=False)`."""

    async def issue(
        *,
        org: str = "acme",
        email: str = "dev@acme.test",
        role: Role | str | None = Role.DEVELOPER,
        verified: bool = True,
        impersonation: bool = False,
    ) -> str:
        async with database.transaction() as session:
            issued = await auth_service.issue_key(
                session,
                org_slug=org,
                email=email,
                role=role,
                verified=verified,
                impersonation=impersonation,
            )
        return issued.token

    return issue


@pytest.fixture
async def api_key(make_key: MakeKey) -> str:
    return await make_key()


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


RowCounts = Callable[[], Awaitable[dict[str, int]]]

_WRITTEN_BY_REQUESTS = ("batches", "batch_items", "runs", "idempotency_keys", "callback_deliveries")


@pytest.fixture
def row_counts(database: Database) -> RowCounts:
    """Rows per table a request could write: compare before and after to prove nothing changed."""

    async def count() -> dict[str, int]:
        async with database.transaction(write=False) as session:
            return {
                table: int(
                    (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
                for table in _WRITTEN_BY_REQUESTS
            }

    return count

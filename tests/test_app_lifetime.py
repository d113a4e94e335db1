"""An app that has stopped is freed with everything it held (its database engine, compiled
statements, media library): nothing of the process keeps it. The test suite makes an app per
test, and a program embedding Runflow may make several; neither may grow with each."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import httpx

from runflow.app import create_app
from runflow.config import Settings

# One of each kind of route an app serves: docs pages, the document, the API, the dashboard.
PAGES = ("/docs", "/redoc", "/openapi.json", "/v1/status/health", "/dashboard/sign-in")


async def test_a_stopped_app_and_its_database_are_freed(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, worker_concurrency=0)
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in PAGES:
                assert (await client.get(path)).status_code == 200, path
        database = weakref.ref(app.state.database)
    stopped = weakref.ref(app)
    del app, transport, client
    gc.collect()

    assert stopped() is None
    assert database() is None

"""Routers served by an app as they were declared."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def serve_routes(app: FastAPI, router: APIRouter) -> None:
    """Serve `router`'s routes as they were declared. `include_router` wraps them for the
    app and, on the app's first request, builds every route again for it (its dependencies
    read and a pydantic adapter made for each parameter and answer): 120–240 ms, paid by
    each new process and by each test's app. The routers here take nothing from the app
    (no prefix, dependencies or overrides at inclusion), so the routes built once, when
    their module was imported, are the routes served. A router's own lifespan would not
    run, so routers have none: the app's lifespan starts what their routes need."""
    app.router.routes.extend(router.routes)

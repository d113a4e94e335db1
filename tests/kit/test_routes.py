"""Routers served as declared: their own route objects answer, as `include_router`'s would."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI

from runflow.app import create_app
from runflow.batches.router import router as batches_router
from runflow.config import Settings
from runflow.kit.routes import serve_routes


async def test_a_served_router_answers_through_its_own_routes() -> None:
    router = APIRouter(prefix="/v1/things", tags=["Things"])

    @router.get("/{name}")
    async def thing(name: str) -> dict[str, str]:
        return {"name": name}

    app = FastAPI()
    serve_routes(app, router)

    assert [route for route in app.router.routes if route in router.routes] == router.routes
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/v1/things/lamp")
    assert (response.status_code, response.json()) == (200, {"name": "lamp"})
    assert app.openapi()["paths"]["/v1/things/{name}"]["get"]["tags"] == ["Things"]


def test_the_app_serves_the_routes_its_routers_declared(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, worker_concurrency=0))
    served = set(map(id, app.router.routes))
    assert all(id(route) in served for route in batches_router.routes)

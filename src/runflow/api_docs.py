"""`/docs` (Swagger UI) and `/redoc`, with every script, stylesheet and icon they load served
by the service itself, from the `fastapi-offline` package: no CDN, so they work offline."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs/assets"
"""Where `swagger-ui-bundle.js`, `swagger-ui.css`, `redoc.standalone.js` and `favicon.png`
are served."""


def install_offline_docs(app: FastAPI) -> None:
    """Serve the two pages on an app built with `docs_url=None, redoc_url=None`."""
    assert app.openapi_url is not None, "the docs pages show the OpenAPI document"
    app.mount(
        ASSETS_PATH, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets"
    )
    # Module-level endpoints that read their app from the request: FastAPI caches facts about
    # every endpoint function it serves, so one made per app would keep each app alive.
    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)


async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=_asset(request, "swagger-ui-bundle.js"),
        swagger_css_url=_asset(request, "swagger-ui.css"),
        swagger_favicon_url=_asset(request, "favicon.png"),
        # No "valid" badge fetched from validator.swagger.io, whatever the layout.
        swagger_ui_parameters={"validatorUrl": None},
    )


async def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=_asset(request, "redoc.standalone.js"),
        redoc_favicon_url=_asset(request, "favicon.png"),
        with_google_fonts=False,
    )


def _prefix(request: Request) -> str:
    # Behind a proxy that mounts the service under a path, links keep that path.
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")


def _openapi_url(request: Request) -> str:
    openapi_path: str = request.app.openapi_url
    return _prefix(request) + openapi_path


def _asset(request: Request, name: str) -> str:
    return f"{_prefix(request)}{ASSETS_PATH}/{name}"

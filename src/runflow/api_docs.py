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
    app.mount(
        ASSETS_PATH, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets"
    )

    openapi_path = app.openapi_url
    assert openapi_path is not None, "the docs pages show the OpenAPI document"

    def prefix(request: Request) -> str:
        # Behind a proxy that mounts the service under a path, links keep that path.
        root_path: str = request.scope.get("root_path", "")
        return root_path.rstrip("/")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=prefix(request) + openapi_path,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{prefix(request)}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix(request)}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{prefix(request)}{ASSETS_PATH}/favicon.png",
            # No "valid" badge fetched from validator.swagger.io, whatever the layout.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=prefix(request) + openapi_path,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{prefix(request)}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{prefix(request)}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

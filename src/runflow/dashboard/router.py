"""The dashboard's routes under `/dashboard`, its static files, and how its failures look."""

from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runflow.dashboard import batches, catalog, evaluations, library, signin, webhooks
from runflow.dashboard.api import ApiProblem
from runflow.dashboard.page import FormRejected, SignInRequired, templates
from runflow.kit.routes import serve_routes

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/dashboard", include_in_schema=False)
for part in (
    signin.router,
    batches.router,
    catalog.router,
    evaluations.router,
    library.router,
    webhooks.router,
):
    router.include_router(part)

# No inline script or style anywhere: the page's own files only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


@router.get("")
async def home() -> Response:
    return RedirectResponse("/dashboard/batches", status_code=303)


def _error(request: Request, status_code: int, message: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"page": None, "message": message}, status_code=status_code
    )


def install(app: FastAPI) -> None:
    """Serve the dashboard from `app`: its pages, its files, its error pages and headers."""
    static = StaticFiles(directory=Path(__file__).parent / "static")
    app.mount("/dashboard/static", static, name="dashboard-static")
    serve_routes(app, router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        suffix = f"?reason={exc.reason}" if exc.reason else ""
        return RedirectResponse(f"/dashboard/sign-in{suffix}", status_code=303)

    @app.exception_handler(FormRejected)
    async def _rejected(request: Request, exc: FormRejected) -> Response:
        return _error(
            request, 403, "This form was not sent from this session's page. Reload and try again."
        )

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> Response:
        return _error(request, exc.status, exc.message)

    app.add_middleware(DashboardResponses)


class DashboardResponses:
    """Security headers on every dashboard response, and an HTML page instead of a stack
    trace or JSON when a page fails. Other paths pass straight through (the API's hot path
    pays nothing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/dashboard"):
            await self.app(scope, receive, send)
            return
        started = False
        static = str(scope["path"]).startswith("/dashboard/static")

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise
            log.exception("dashboard_failed", path=scope["path"])
            failure = _error(Request(scope), 500, "Something went wrong. Please try again.")
            await failure(scope, receive, send_with_headers)

"""Signing in with an API key, signing out, and switching organization."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from runflow.auth.keys import lookup_prefix, token_matches
from runflow.auth.repository import find_key_holder
from runflow.dashboard import sessions
from runflow.dashboard.api import ApiProblem, DashboardAPI
from runflow.dashboard.page import SignedInPage, database_of, templates

router = APIRouter()

# Signing in has no session yet: its form is protected by a double-submit token instead.
_SIGNIN_COOKIE = "rf_dashboard_signin"
_REASONS = {
    "expired": "Your session has ended or expired. Sign in again.",
    "revoked": "The API key of your session is no longer valid. Sign in with another key.",
    "signed-out": "You are signed out.",
}


def _cookie_options(request: Request) -> dict[str, object]:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
        "path": "/dashboard",
    }


def _sign_in_form(
    request: Request, message: str | None = None, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "signin.html",
        {"csrf_token": token, "message": message, "error": error, "page": None},
        status_code=status_code,
    )
    response.set_cookie(_SIGNIN_COOKIE, token, max_age=3600, **_cookie_options(request))  # type: ignore[arg-type]
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, reason: str | None = None) -> HTMLResponse:
    return _sign_in_form(request, message=_REASONS.get(reason or ""))


@router.post("/sign-in")
async def sign_in(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(_SIGNIN_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token, expected):
        return _sign_in_form(
            request, error="The sign-in form expired. Please try again.", status_code=403
        )
    key = api_key.strip()
    if not key:
        return _sign_in_form(request, error="Enter an API key.", status_code=422)
    async with DashboardAPI(request.app, key, None) as api:
        try:
            await api.get("/v1/account")
        except ApiProblem as problem:
            return _sign_in_form(request, error=problem.message, status_code=problem.status)
    async with database_of(request).transaction() as session:
        holder = await find_key_holder(session, lookup_prefix(key), None)
        if holder is None or not token_matches(key, holder.secret_hash):
            return _sign_in_form(request, error="The API key is not valid.", status_code=401)
        cookie = await sessions.start(session, holder.key_id, key)
    response = RedirectResponse("/dashboard/batches", status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        cookie,
        max_age=int(sessions.SESSION_TTL.total_seconds()),
        **_cookie_options(request),  # type: ignore[arg-type]
    )
    response.delete_cookie(_SIGNIN_COOKIE, path="/dashboard")
    return response


@router.post("/sign-out")
async def sign_out(page: SignedInPage) -> Response:
    await page.form()
    async with database_of(page.request).transaction() as session:
        await sessions.end(session, page.request.cookies.get(sessions.COOKIE))
    response = RedirectResponse("/dashboard/sign-in?reason=signed-out", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/dashboard")
    return response


@router.post("/org")
async def switch_org(page: SignedInPage) -> Response:
    form = await page.form()
    try:
        org_id = uuid.UUID(str(form.get("org_id", "")))
    except ValueError:
        return page.render("error.html", 422, message="Choose an organization from the list.")
    async with DashboardAPI(page.request.app, page.session.api_key, org_id) as api:
        try:
            await api.get("/v1/account")  # the API decides membership, as for any request
        except ApiProblem as problem:
            return page.render("error.html", problem.status, message=problem.message)
    async with database_of(page.request).transaction() as session:
        await sessions.choose_org(session, page.session.id, org_id)
    return RedirectResponse("/dashboard/batches", status_code=303)

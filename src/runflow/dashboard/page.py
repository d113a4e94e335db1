"""What every dashboard page shares: the signed-in session, the API on its behalf, the
account, CSRF checks, and rendering."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.datastructures import FormData

from runflow.auth.models import Membership, Org
from runflow.dashboard import sessions
from runflow.dashboard.api import ApiProblem, DashboardAPI
from runflow.db.engine import Database

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# JSON for people: indented, characters as they are (autoescaping still applies).
templates.env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
ENDED = frozenset({"succeeded", "partially_succeeded", "failed", "cancelled"})


@dataclass
class ListFilters:
    """A list page's query string: the API's `q`, `sort_by` and cursor, passed through."""

    q: str | None = None
    sort_by: str | None = None
    pq: str | None = None
    from_prev: bool = False

    def params(self) -> dict[str, Any]:
        back = "true" if self.from_prev else None
        return {"q": self.q, "sort_by": self.sort_by, "pq": self.pq, "from_prev": back}

    def kept(self) -> dict[str, str]:
        """What the pager's links carry over (the cursor is theirs to set)."""
        return {key: value for key, value in (("q", self.q), ("sort_by", self.sort_by)) if value}


Filters = Annotated[ListFilters, Depends()]


class SignInRequired(Exception):
    """No live session: the browser is sent to sign in (with why, when known)."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason


class FormRejected(Exception):
    """A form that did not come from this session's page (CSRF token missing or wrong)."""


@dataclass
class Page:
    request: Request
    session: sessions.SignedIn
    api: DashboardAPI
    account: dict[str, Any]
    orgs: list[dict[str, str]]

    @property
    def can_write(self) -> bool:
        return str(self.account.get("role")) != "viewer"

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            self.request,
            template,
            {"page": self, "csrf_token": self.session.csrf_token, "status": status_code, **context},
            status_code=status_code,
        )

    async def listing(
        self, path: str, filters: ListFilters, **params: Any
    ) -> tuple[dict[str, Any], ApiProblem | None]:
        """A list's page of rows; a bad `q`, sort or cursor is shown on the page (the API's
        message, next to the filter) rather than as an error page."""
        try:
            return await self.api.get(path, **filters.params(), **params), None
        except ApiProblem as problem:
            if problem.status not in (400, 422):
                raise
            return {"items": []}, problem

    async def act(
        self, path: str, then: Callable[[Any], str], json: Any = None, *, method: str = "POST"
    ) -> Response:
        """A button's POST: checked against CSRF, sent to the API (as `method`), then on to
        `then(answer)`; a refusal (403 for a viewer, 409 for a batch that ended) is shown as a
        page."""
        await self.form()
        try:
            answer = await self.api.call(method, path, json=json)
        except ApiProblem as problem:
            return self.render("error.html", problem.status, message=problem.message)
        return RedirectResponse(then(answer), status_code=303)

    async def form(self) -> FormData:
        """The posted form, once its CSRF token is this session's."""
        form = await self.request.form()
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not secrets.compare_digest(sent, self.session.csrf_token):
            raise FormRejected
        return form


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _orgs_of(database: Database, user_id: str) -> list[dict[str, str]]:
    async with database.transaction(write=False) as session:
        rows = await session.execute(
            select(Org.id, Org.slug, Org.name)
            .join(Membership, Membership.org_id == Org.id)
            .where(Membership.user_id == uuid.UUID(user_id))
            .order_by(Org.name)
        )
        return [{"id": str(row.id), "slug": row.slug, "name": row.name} for row in rows]


async def _page(request: Request) -> AsyncIterator[Page]:
    cookie = request.cookies.get(sessions.COOKIE)
    database = database_of(request)
    async with database.transaction(write=False) as session:
        signed_in = await sessions.find(session, cookie)
    if signed_in is None:
        raise SignInRequired("expired" if cookie else None)
    async with DashboardAPI(request.app, signed_in.api_key, signed_in.org_id) as api:
        try:
            account = await api.get("/v1/account")
        except ApiProblem as problem:
            if problem.status == 401:
                raise SignInRequired("revoked") from None
            raise
        orgs = await _orgs_of(database, account["user"]["id"])
        yield Page(request, signed_in, api, account, orgs)


SignedInPage = Annotated[Page, Depends(_page)]

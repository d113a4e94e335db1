"""Batch pages: the list with live progress bars, one batch with its items, callback
deliveries and actions, its live progress stream, and a run's page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sse_starlette import EventSourceResponse, ServerSentEvent

from runflow.auth.dependencies import authenticate
from runflow.dashboard import sessions
from runflow.dashboard.api import ApiProblem
from runflow.dashboard.outputs import media_in, models_by_id, output_kinds
from runflow.dashboard.page import ENDED, SignedInPage, SignInRequired, database_of, templates
from runflow.live.changes import changes_of
from runflow.live.streams import batch_events

router = APIRouter()
Text = Annotated[str | None, Query()]


def _list_params(q: str | None, sort_by: str | None, pq: str | None, back: bool) -> dict[str, Any]:
    return {"q": q, "sort_by": sort_by, "pq": pq, "from_prev": "true" if back else None}


@router.get("/batches")
async def batch_list(
    page: SignedInPage,
    q: Text = None,
    sort_by: Text = None,
    pq: Text = None,
    from_prev: bool = False,
    rows_only: bool = False,
) -> HTMLResponse:
    problem: ApiProblem | None = None
    listing: dict[str, Any] = {"items": []}
    try:
        listing = await page.api.get(
            "/v1/batches", limit=25, **_list_params(q, sort_by, pq, from_prev)
        )
    except ApiProblem as failed:
        if failed.status not in (400, 422):
            raise
        problem = failed
    live = any(batch.get("status_code") not in ENDED for batch in listing["items"])
    return page.render(
        "batch_rows.html" if rows_only else "batches.html",
        listing=listing,
        live=live,
        q=q or "",
        sort_by=sort_by or "",
        problem=problem,
    )


@router.get("/batches/{batch_id}")
async def batch_page(
    page: SignedInPage,
    batch_id: uuid.UUID,
    q: Text = None,
    pq: Text = None,
    from_prev: bool = False,
    part: Text = None,
) -> HTMLResponse:
    """The batch page; `part=live` is its live region alone, redrawn when the batch ends."""
    batch = await page.api.get(f"/v1/batches/{batch_id}")
    problem: ApiProblem | None = None
    items: dict[str, Any] = {"items": []}
    try:
        items = await page.api.get(
            f"/v1/batches/{batch_id}/items", limit=50, **_list_params(q, None, pq, from_prev)
        )
    except ApiProblem as failed:
        if failed.status not in (400, 422):
            raise
        problem = failed
    model = (await models_by_id(page.api)).get(str(batch.get("target_id")))
    kinds = output_kinds(model)
    for item in items["items"]:
        item["media"] = media_in(item.get("output"), kinds)
    deliveries = await page.api.get(f"/v1/batches/{batch_id}/callback")
    return page.render(
        "batch_live.html" if part == "live" else "batch.html",
        batch=batch,
        model=model,
        items=items,
        deliveries=deliveries,
        q=q or "",
        problem=problem,
        ended=batch.get("status_code") in ENDED,
    )


@router.get("/batches/{batch_id}/live")
async def batch_live(request: Request, batch_id: uuid.UUID) -> EventSourceResponse:
    """The batch's event stream (DESIGN §17) as HTML: the progress bar, redrawn as it moves,
    then `ended` (the page reloads its items) and the end of the stream."""
    database = database_of(request)
    async with database.transaction(write=False) as session:
        signed_in = await sessions.find(session, request.cookies.get(sessions.COOKIE))
        if signed_in is None:
            raise SignInRequired("expired")
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=signed_in.api_key)
        org = str(signed_in.org_id) if signed_in.org_id else None
        principal, _ = await authenticate(session, credentials, org)

    async def events() -> AsyncIterator[ServerSentEvent]:
        changes = changes_of(database.engine.url)
        async for event in batch_events(database, changes, principal, batch_id, None):
            if event.event in ("snapshot", "progress") or str(event.event).startswith("batch."):
                batch = _json(event.data)
                html = templates.get_template("progress.html").render(batch=batch)
                yield ServerSentEvent(data=html.replace("\n", " "), event="progress")
            if str(event.event).startswith("batch."):
                yield ServerSentEvent(data="", event="ended")
                return

    return EventSourceResponse(events(), ping=15)


def _json(data: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(data)
    return parsed


async def _act(page: SignedInPage, path: str, back: str) -> Response:
    await page.form()
    try:
        result = await page.api.post(path)
    except ApiProblem as problem:
        return page.render("error.html", problem.status, message=problem.message, back=back)
    target = back
    if isinstance(result, dict) and result.get("id") and path.endswith("/retry"):
        target = f"/dashboard/batches/{result['id']}"
    return RedirectResponse(target, status_code=303)


@router.post("/batches/{batch_id}/cancel")
async def cancel(page: SignedInPage, batch_id: uuid.UUID) -> Response:
    return await _act(page, f"/v1/batches/{batch_id}/cancel", f"/dashboard/batches/{batch_id}")


@router.post("/batches/{batch_id}/retry")
async def retry(page: SignedInPage, batch_id: uuid.UUID) -> Response:
    return await _act(page, f"/v1/batches/{batch_id}/retry", f"/dashboard/batches/{batch_id}")


@router.post("/batches/{batch_id}/callback/redeliver")
async def redeliver(page: SignedInPage, batch_id: uuid.UUID) -> Response:
    back = f"/dashboard/batches/{batch_id}#callbacks"
    return await _act(page, f"/v1/batches/{batch_id}/callback/redeliver", back)


@router.get("/runs/{run_id}")
async def run_page(page: SignedInPage, run_id: uuid.UUID) -> HTMLResponse:
    run = await page.api.get(f"/v1/runs/{run_id}")
    logs = await page.api.get(f"/v1/runs/{run_id}/logs", limit=500)
    node_runs = await page.api.get(f"/v1/runs/{run_id}/node-runs", limit=500)
    model = (await models_by_id(page.api)).get(str(run.get("model_id")))
    return page.render(
        "run.html",
        run=run,
        model=model,
        media=media_in(run.get("output"), output_kinds(model)),
        input_media=media_in(run.get("input"), {}),
        logs=logs["items"],
        node_runs=node_runs["items"],
        ended=run.get("status_code") in ENDED,
    )


@router.post("/runs/{run_id}/rerun")
async def rerun(page: SignedInPage, run_id: uuid.UUID) -> Response:
    await page.form()
    try:
        new = await page.api.post(f"/v1/runs/{run_id}/rerun", json={})
    except ApiProblem as problem:
        return page.render("error.html", problem.status, message=problem.message)
    return RedirectResponse(f"/dashboard/runs/{new['id']}", status_code=303)

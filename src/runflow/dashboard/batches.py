"""Batch pages: the list with live progress bars, one batch with its items, callback
deliveries and actions, its live progress stream, and a run's page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sse_starlette import EventSourceResponse, ServerSentEvent

from runflow.auth.dependencies import authenticate
from runflow.dashboard import sessions
from runflow.dashboard.outputs import media_in, models_by_id, output_kinds, with_fresh_urls
from runflow.dashboard.page import (
    ENDED,
    Filters,
    SignedInPage,
    SignInRequired,
    database_of,
    templates,
)
from runflow.live.changes import changes_of
from runflow.live.streams import batch_events

router = APIRouter()
Text = Annotated[str | None, Query()]


@router.get("/batches")
async def batch_list(page: SignedInPage, filters: Filters, rows_only: bool = False) -> HTMLResponse:
    """Batches, newest first; while one runs, its rows are redrawn every second."""
    listing, problem = await page.listing("/v1/batches", filters, limit=25)
    live = any(batch.get("status_code") not in ENDED for batch in listing["items"])
    return page.render(
        "batch_rows.html" if rows_only else "batches.html",
        listing=listing,
        live=live,
        filters=filters,
        problem=problem,
    )


@router.get("/batches/{batch_id}")
async def batch_page(
    page: SignedInPage, batch_id: uuid.UUID, filters: Filters, part: Text = None
) -> HTMLResponse:
    """The batch page; `part=live` is its live region alone, redrawn when the batch ends."""
    batch = await page.api.get(f"/v1/batches/{batch_id}")
    items, problem = await page.listing(f"/v1/batches/{batch_id}/items", filters, limit=50)
    model = (await models_by_id(page.api)).get(str(batch.get("target_id")))
    kinds = output_kinds(model)
    shown = {item["id"]: media_in(item.get("output"), kinds) for item in items["items"]}
    renewed = iter(await with_fresh_urls(page.api, [m for media in shown.values() for m in media]))
    for item in items["items"]:
        item["media"] = [next(renewed) for _ in shown[item["id"]]]
    deliveries = await page.api.get(f"/v1/batches/{batch_id}/callback")
    return page.render(
        "batch_live.html" if part == "live" else "batch.html",
        batch=batch,
        model=model,
        items=items,
        deliveries=deliveries,
        filters=filters,
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


@router.post("/batches/{batch_id}/cancel")
async def cancel(page: SignedInPage, batch_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/batches/{batch_id}/cancel", lambda _: f"/dashboard/batches/{batch_id}"
    )


@router.post("/batches/{batch_id}/retry")
async def retry(page: SignedInPage, batch_id: uuid.UUID) -> Response:
    """A new batch of the failed items; the browser goes to it."""
    return await page.act(
        f"/v1/batches/{batch_id}/retry", lambda new: f"/dashboard/batches/{new['id']}"
    )


@router.post("/batches/{batch_id}/callback/redeliver")
async def redeliver(page: SignedInPage, batch_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/batches/{batch_id}/callback/redeliver",
        lambda _: f"/dashboard/batches/{batch_id}#callbacks",
    )


@router.get("/runs/{run_id}")
async def run_page(page: SignedInPage, run_id: uuid.UUID) -> HTMLResponse:
    run = await page.api.get(f"/v1/runs/{run_id}")
    logs = await page.api.get(f"/v1/runs/{run_id}/logs", limit=500)
    node_runs = await page.api.get(f"/v1/runs/{run_id}/node-runs", limit=500)
    model = (await models_by_id(page.api)).get(str(run.get("model_id")))
    outputs = media_in(run.get("output"), output_kinds(model))
    inputs = media_in(run.get("input"), {})
    renewed = await with_fresh_urls(page.api, [*outputs, *inputs])
    return page.render(
        "run.html",
        run=run,
        model=model,
        media=renewed[: len(outputs)],
        input_media=renewed[len(outputs) :],
        logs=logs["items"],
        node_runs=node_runs["items"],
        ended=run.get("status_code") in ENDED,
    )


@router.post("/runs/{run_id}/rerun")
async def rerun(page: SignedInPage, run_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/runs/{run_id}/rerun", lambda new: f"/dashboard/runs/{new['id']}", json={}
    )

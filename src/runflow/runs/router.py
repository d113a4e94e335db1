"""Run endpoints: run a model once, inspect a run, its logs and node runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Path, Request, status
from fastapi.responses import Response

from runflow.auth.dependencies import Reader, Writer
from runflow.callbacks.dependencies import CallbackOutbox, Egress
from runflow.catalog.router import OwnerPath, SlugPath
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.engine.wake import wake_dispatcher
from runflow.errors import CREATE_ERRORS, ERROR_RESPONSES
from runflow.idempotency.http import create_once
from runflow.kit.http import IdempotencyKey, JsonBody, StrictJsonRoute
from runflow.query.listing import Cursors, ListQuery, page_response
from runflow.runs import listing, service
from runflow.runs.schemas import (
    NodeRunList,
    RunCreate,
    RunList,
    RunLogList,
    RunRead,
    RunRerun,
)

router = APIRouter(tags=["Runs"], responses=ERROR_RESPONSES, route_class=StrictJsonRoute)

RunIdInPath = Annotated[uuid.UUID, Path(alias="id", title="Run Id")]


@router.post(
    "/v1/models/{owner}/{slug}/runs",
    summary="Run a model once",
    operation_id="createRun",
    responses=CREATE_ERRORS,
    tags=["Models"],
    status_code=status.HTTP_201_CREATED,
    response_model=RunRead,
    dependencies=[JsonBody],
)
async def create_run(
    owner: OwnerPath,
    slug: SlugPath,
    body: RunCreate,
    request: Request,
    session: WriteSession,
    principal: Writer,
    idempotency_key: IdempotencyKey,
    egress: Egress,
) -> Response:
    """Queue one run of a model; poll it at `GET /v1/runs/{id}`."""
    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=lambda: service.create_run(session, principal, owner, slug, body, egress),
        after_commit=lambda: wake_dispatcher(request.app),
    )


@router.get("/v1/runs", summary="List runs", operation_id="listRuns", response_model=RunList)
async def list_runs(
    params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Your organization's runs, newest first unless `sort_by` says otherwise."""
    page, fields = await listing.list_runs(session, principal, params, codec)
    return page_response(page, fields)


@router.get("/v1/runs/{id}", summary="Get run", operation_id="getRun")
async def get_run(
    run_id: RunIdInPath,
    session: ReadSession,
    principal: Reader,
) -> RunRead:
    """A run with its live status, progress (`context`), output, cost and failure."""
    return await service.read_run(session, principal, run_id)


@router.post(
    "/v1/runs/{id}/cancel",
    summary="Cancel a run",
    operation_id="cancelRun",
    responses={409: ERROR_RESPONSES[400] | {"description": "The run already ended"}},
)
async def cancel_run(
    run_id: RunIdInPath,
    session: WriteSession,
    principal: Writer,
    outbox: CallbackOutbox,
    background: BackgroundTasks,
) -> RunRead:
    """Cancel a queued run now, or signal a running one."""
    cancelled = await service.cancel_run(session, principal, run_id, outbox)
    background.add_task(outbox.notify_sender)
    return cancelled


@router.post(
    "/v1/runs/{id}/rerun",
    summary="Re-run a run",
    operation_id="rerunRun",
    responses=CREATE_ERRORS,
    status_code=status.HTTP_201_CREATED,
    response_model=RunRead,
    dependencies=[JsonBody],
)
async def rerun_run(
    run_id: RunIdInPath,
    request: Request,
    session: WriteSession,
    principal: Writer,
    idempotency_key: IdempotencyKey,
    egress: Egress,
    body: Annotated[RunRerun, Body(default_factory=RunRerun)],
) -> Response:
    """A new run of the same model with this run's stored input (its recorded seed
    included) and `input`'s overrides on top, validated again; `links.rerun_of` names this
    run. A run of a batch re-runs on its own. Every field is optional, and so is the body."""
    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=lambda: service.rerun(session, principal, run_id, body, egress),
        after_commit=lambda: wake_dispatcher(request.app),
    )


@router.get(
    "/v1/runs/{id}/logs",
    summary="Get run logs",
    operation_id="getRunLogs",
    response_model=RunLogList,
)
async def get_run_logs(
    run_id: RunIdInPath, params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """The run's log lines, oldest first unless `sort_by` says otherwise."""
    page, fields = await listing.list_logs(session, principal, run_id, params, codec)
    return page_response(page, fields)


@router.get(
    "/v1/runs/{id}/node-runs",
    summary="Get node runs",
    operation_id="getRunNodeRuns",
    response_model=NodeRunList,
)
async def get_run_node_runs(
    run_id: RunIdInPath, params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Each node of the run's flow as it executed (or was served from cache)."""
    page, fields = await listing.list_node_runs(session, principal, run_id, params, codec)
    return page_response(page, fields)

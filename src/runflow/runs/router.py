"""Run endpoints: run a model once, inspect a run, its logs and node runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, status
from fastapi.responses import Response

from runflow.auth.dependencies import Reader, Writer
from runflow.callbacks.dependencies import CallbackOutbox, Egress
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.engine.wake import wake_dispatcher
from runflow.errors import ERROR_RESPONSES, NotFound
from runflow.idempotency.http import create_once
from runflow.kit.http import IdempotencyKey, JsonBody, StrictJsonRoute
from runflow.runs import repository, service
from runflow.runs.schemas import (
    NodeRunList,
    NodeRunRead,
    RunCreate,
    RunList,
    RunLogList,
    RunLogRead,
    RunRead,
)

router = APIRouter(tags=["Runs"], responses=ERROR_RESPONSES, route_class=StrictJsonRoute)

RunIdInPath = Annotated[uuid.UUID, Path(alias="id", title="Run Id")]


@router.post(
    "/v1/models/{owner}/{slug}/runs",
    summary="Run a model once",
    operation_id="createRun",
    tags=["Models"],
    status_code=status.HTTP_201_CREATED,
    response_model=RunRead,
    dependencies=[JsonBody],
)
async def create_run(
    owner: str,
    slug: str,
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


@router.get("/v1/runs", summary="List runs", operation_id="listRuns")
async def list_runs(
    session: ReadSession,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
) -> RunList:
    """Your organization's runs, newest first."""
    runs = await repository.list_runs(session, principal.org_id, limit)
    return RunList(items=[service.run_read(run) for run in runs])


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


async def _owned_run(session: ReadSession, principal: Reader, run_id: uuid.UUID) -> None:
    if await repository.get_run(session, principal.org_id, run_id) is None:
        raise NotFound(f"Run {run_id} does not exist.")


@router.get("/v1/runs/{id}/logs", summary="Get run logs", operation_id="getRunLogs")
async def get_run_logs(
    run_id: RunIdInPath,
    session: ReadSession,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 500,
) -> RunLogList:
    """The run's log lines, oldest first."""
    await _owned_run(session, principal, run_id)
    logs = await repository.logs_of(session, run_id, limit)
    return RunLogList(items=[RunLogRead.model_validate(row) for row in logs])


@router.get("/v1/runs/{id}/node-runs", summary="Get node runs", operation_id="getRunNodeRuns")
async def get_run_node_runs(
    run_id: RunIdInPath,
    session: ReadSession,
    principal: Reader,
) -> NodeRunList:
    """Each node of the run's flow as it executed (or was served from cache)."""
    await _owned_run(session, principal, run_id)
    node_runs = await repository.node_runs_of(session, run_id)
    return NodeRunList(items=[NodeRunRead.model_validate(row) for row in node_runs])

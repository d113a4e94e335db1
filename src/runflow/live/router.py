"""`GET /v1/batches/{id}/events` and `GET /v1/runs/{id}/events`: Server-Sent Events."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from sse_starlette import EventSourceResponse

from runflow.auth.dependencies import Reader
from runflow.batches import repository as batches
from runflow.db.dependencies import ReadSession
from runflow.db.engine import Database
from runflow.errors import ERROR_RESPONSES, NotFound
from runflow.live.changes import changes_of
from runflow.live.streams import batch_events, run_events
from runflow.runs import repository as runs

router = APIRouter(responses=ERROR_RESPONSES)

# A comment line this often keeps proxies and clients from closing an idle stream.
HEARTBEAT_S = 15

_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A stream of Server-Sent Events; it closes after the terminal event.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=64,
        description="Resume after this event (the `id` of the last event received).",
    ),
]


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get(
    "/v1/batches/{id}/events",
    summary="Stream a batch's progress",
    operation_id="streamBatchEvents",
    tags=["Batches"],
    response_class=EventSourceResponse,
    responses=_STREAM,
)
async def stream_batch_events(
    batch_id: Annotated[uuid.UUID, Path(alias="id", title="Batch Id")],
    request: Request,
    session: ReadSession,
    principal: Reader,
    last_event_id: LastEventId = None,
) -> EventSourceResponse:
    """`snapshot` (the batch), an `item` event as each item ends, `progress` as the counters
    move, then `batch.<status>`, and the stream closes. `Last-Event-ID` resumes it."""
    if await batches.get_batch(session, principal.org_id, batch_id) is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    database = _database(request)
    events = batch_events(
        database, changes_of(database.engine.url), principal, batch_id, last_event_id
    )
    return EventSourceResponse(events, ping=HEARTBEAT_S)


@router.get(
    "/v1/runs/{id}/events",
    summary="Stream a run's progress",
    operation_id="streamRunEvents",
    tags=["Runs"],
    response_class=EventSourceResponse,
    responses=_STREAM,
)
async def stream_run_events(
    run_id: Annotated[uuid.UUID, Path(alias="id", title="Run Id")],
    request: Request,
    session: ReadSession,
    principal: Reader,
    last_event_id: LastEventId = None,
) -> EventSourceResponse:
    """`snapshot` (the run), `progress` as its `context` changes, then `run.<status>`, and
    the stream closes."""
    found = await runs.get_run(session, principal.org_id, run_id)
    if found is None:
        raise NotFound(f"Run {run_id} does not exist.")
    database = _database(request)
    events = run_events(
        database,
        changes_of(database.engine.url),
        principal,
        run_id,
        found[0].batch_id,
        last_event_id,
    )
    return EventSourceResponse(events, ping=HEARTBEAT_S)

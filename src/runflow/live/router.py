"""`GET /v1/batches/{id}/events` and `GET /v1/runs/{id}/events`: Server-Sent Events."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from sse_starlette import EventSourceResponse

from runflow.auth.dependencies import Reader
from runflow.batches import repository as batches
from runflow.batches.models import BatchStatus
from runflow.db.dependencies import ReadSession
from runflow.db.engine import Database
from runflow.errors import ERROR_RESPONSES, NotFound
from runflow.live.changes import changes_of
from runflow.live.streams import batch_events, run_events
from runflow.runs import repository as runs
from runflow.runs.models import RunStatus

router = APIRouter(responses=ERROR_RESPONSES)

# A comment line this often keeps proxies and clients from closing an idle stream.
HEARTBEAT_S = 15


def _stream(names: list[str], described: str) -> dict[int | str, dict[str, Any]]:
    """The `200` of a stream, its schema one event's (as OpenAPI 3.2's `itemSchema`, which
    tools read from `schema` in 3.1): its name, its id (for `Last-Event-ID`), its JSON data."""
    return {
        200: {
            "description": "A stream of Server-Sent Events; it closes after the terminal event. "
            + described,
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "required": ["event", "id", "data"],
                        "properties": {
                            "event": {"type": "string", "enum": names},
                            "id": {"type": "string"},
                            "data": {"type": "string", "contentMediaType": "application/json"},
                            "retry": {"type": "integer"},
                        },
                    }
                }
            },
        }
    }


_BATCH_STREAM = _stream(
    ["snapshot", "item", "progress"]
    + [f"batch.{status}" for status in BatchStatus if status.is_terminal],
    "`snapshot` and `batch.<status>` carry the batch as `GET /v1/batches/{id}` returns it, "
    "`item` an item that ended (handle, cost, error), `progress` the counters.",
)
_RUN_STREAM = _stream(
    ["snapshot", "progress"] + [f"run.{status}" for status in RunStatus if status.is_terminal],
    "`snapshot` and `run.<status>` carry the run as `GET /v1/runs/{id}` returns it, "
    "`progress` its `context`.",
)
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
    responses=_BATCH_STREAM,
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
    responses=_RUN_STREAM,
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

"""Synchronous event streams that resume after a cut with `Last-Event-ID`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
from httpx_sse import connect_sse

from runflow_sdk import _retries
from runflow_sdk._errors import APIConnectionError, status_error
from runflow_sdk._events import StreamEvent
from runflow_sdk._sync.client import SyncAPIClient, _body, _connection_error

# The server sends a heartbeat every 15 s: a read silent for longer means a dead connection.
_READ_TIMEOUT_S = 45.0


def stream_events(
    client: SyncAPIClient, path: str, *, last_event_id: str | None = None
) -> Iterator[StreamEvent]:
    """The stream's events up to and including the terminal one. A stream cut before its end
    is opened again from the last event received (up to `max_retries` times in a row)."""
    resumes = 0
    while True:
        headers = client.headers | {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        cut: Exception
        try:
            with connect_sse(
                client.http,
                "GET",
                client.url(path),
                headers=headers,
                timeout=httpx.Timeout(_READ_TIMEOUT_S, connect=5.0),
            ) as source:
                response = source.response
                if not response.is_success:
                    response.read()
                    raise status_error(response, _body(response))
                for sse in source.iter_sse():
                    if not sse.event or not sse.data:
                        continue
                    event = StreamEvent(sse.event, json.loads(sse.data), sse.id or None)
                    if sse.id:
                        last_event_id = sse.id
                    resumes = 0
                    yield event
                    if event.terminal:
                        return
            cut = APIConnectionError(f"The stream {path} closed before its end.", None)
        except httpx.TransportError as exc:
            cut = _connection_error(exc)
        if resumes >= client.options.max_retries:
            raise cut
        time.sleep(_retries.delay_s(resumes, None))
        resumes += 1

"""Synchronous waiting for a batch or run to end: on its event stream, or by polling when the
stream cannot be read (a proxy that buffers, an older server)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from runflow_sdk._errors import APIConnectionError, WaitTimeoutError
from runflow_sdk._events import StreamEvent
from runflow_sdk._parse import parse_object

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Waitable(Protocol[T_co]):
    """A resource whose objects end: batches and runs."""

    def get(self, object_id: Any, /) -> T_co: ...

    def events(self, object_id: Any, /) -> Iterator[StreamEvent]: ...


def wait_until_ended(
    what: str,
    resource: Waitable[T],
    object_id: Any,
    *,
    ended: Callable[[T], bool],
    on_event: Callable[[StreamEvent | T], object],
    timeout: float | None,
    poll_interval: float,
) -> T:
    deadline = None if timeout is None else time.monotonic() + timeout

    def check_deadline() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise WaitTimeoutError(f"{what} had not ended when the wait timed out.")

    current = resource.get(object_id)
    on_event(current)
    if ended(current):
        return current
    try:
        for event in resource.events(object_id):
            on_event(event)
            if event.terminal:
                return parse_object(type(current), event.data)
            check_deadline()
    except APIConnectionError:
        pass  # no stream: poll instead
    while True:
        check_deadline()
        time.sleep(poll_interval)
        current = resource.get(object_id)
        on_event(current)
        if ended(current):
            return current

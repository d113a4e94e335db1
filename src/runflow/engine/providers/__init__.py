"""The provider interface: where a run actually executes (DESIGN §5).

The dispatcher talks to every provider the same way: `submit` a job (idempotent on run id and
attempt), read its `events` — progress, logs, node runs — until a terminal `Finished` or
`Failed`, and `cancel` it. Each model names its provider (`provider_code`): the built-in
models run on `LocalProvider` (`engine/local.py`), a models file's Python models on
`PythonProvider` (`providers/python.py`); remote ones (ComfyUI, Cog) implement the same methods.

A job with nothing to wait for (a diagnostic echo) may instead be done on the spot by
`run_now`: the dispatcher then skips the task, the event stream and the timeout a run
otherwise costs.
"""

from __future__ import annotations

import abc
import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Job:
    run_id: uuid.UUID
    attempt: int
    org_id: uuid.UUID
    model: str  # "owner/slug"
    input: dict[str, Any]
    # The model's media inputs (name → `image` | `video`) and its provider's settings.
    media_inputs: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    fraction: float
    message: str


@dataclass(frozen=True)
class Log:
    level: str
    message: str
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class NodeEvent:
    """A node run, recorded as it ended (executed, cached or failed)."""

    values: dict[str, Any]


@dataclass(frozen=True)
class Finished:
    output: dict[str, Any]
    usage: dict[str, float]
    nodes_total: int | None = None
    nodes_completed: int | None = None


@dataclass(frozen=True)
class Failed:
    code: str
    message: str
    stage: str = "execution"
    retryable: bool = False
    nodes_total: int | None = None
    nodes_completed: int | None = None


ProviderEvent = Progress | Log | NodeEvent | Finished | Failed


async def until_outcome(queue: asyncio.Queue[ProviderEvent]) -> AsyncIterator[ProviderEvent]:
    """A job's events as its execution puts them on `queue`, through the `Finished` or
    `Failed` that ends them."""
    while True:
        event = await queue.get()
        yield event
        if isinstance(event, Finished | Failed):
            return


@dataclass
class ProviderError(Exception):
    """The provider itself could not take or run the job (not the model's fault)."""

    message: str
    retryable: bool = True
    details: dict[str, Any] = field(default_factory=dict)


class Provider(abc.ABC):
    @abc.abstractmethod
    async def submit(self, job: Job) -> None:
        """Start the job; submitting the same run id and attempt again changes nothing."""

    @abc.abstractmethod
    def events(self, run_id: uuid.UUID) -> AsyncIterator[ProviderEvent]:
        """The job's events, ending with exactly one `Finished` or `Failed`."""

    def run_now(self, job: Job) -> list[ProviderEvent] | None:
        """The job's events when it can be done at once without blocking, else None (the
        job then goes through `submit` and `events`)."""
        return None

    @abc.abstractmethod
    async def cancel(self, run_id: uuid.UUID) -> None:
        """Ask the job to stop; its events then end with `Failed(code="CANCELLED")`."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release what the provider holds (threads, connections)."""

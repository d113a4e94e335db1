"""The local provider: built-in models executed inside this worker process.

`echo` is a coroutine; the image and video flows are CPU-bound and run on a small thread pool
sized to the machine, so the event loop keeps serving the API and the queue while they work.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from runflow.engine.media_io import (
    InputFetchFailed,
    MediaStoreFailed,
    OutputStoreFailed,
    RunMedia,
)
from runflow.engine.node_cache import DiskNodeCache
from runflow.engine.providers import (
    Failed,
    Finished,
    Job,
    Log,
    NodeEvent,
    Progress,
    Provider,
    ProviderEvent,
    until_outcome,
)
from runflow.kit.clock import utcnow
from runflow.models_builtin import builtin_flows
from runflow.models_builtin.flow import Cancelled, Flow, Node, NodeContext, run_flow

log = structlog.get_logger(__name__)

_NODE_NAMESPACE = uuid.UUID("6f1c5d1e-8d53-4a44-9a57-1f0b6c7a2b10")


@functools.cache
def node_id(model: str, key: str) -> uuid.UUID:
    """Stable id of a node of a model's flow."""
    return uuid.uuid5(_NODE_NAMESPACE, f"{model}/{key}")


@dataclass
class _Execution:
    job: Job
    stop: threading.Event = field(default_factory=threading.Event)
    # Flows run in a thread and report through this queue; echo runs inline, without one.
    events: asyncio.Queue[ProviderEvent] | None = None
    task: asyncio.Task[None] | None = None


class _NodeRecorder:
    """Turns flow callbacks (from the model thread) into `NodeEvent`s on the loop."""

    def __init__(self, model: str, emit: Callable[[ProviderEvent], None]) -> None:
        self.model = model
        self.emit = emit
        self.started: dict[str, Any] = {}
        self.completed = 0

    def node_started(self, node: Node, signature: str) -> None:
        self.started[node.key] = utcnow()

    def _event(
        self, node: Node, signature: str, state: str, duration_ms: int, **extra: Any
    ) -> None:
        now = utcnow()
        self.emit(
            NodeEvent(
                {
                    "node_id": node_id(self.model, node.key),
                    "node_key": node.key,
                    "node_type": node.type,
                    "state_code": state,
                    "input": {"literals": list(node.literals), "upstream": list(node.upstream)},
                    "input_signature": signature,
                    "duration_ms": duration_ms,
                    "cost": 0,
                    "retry_count": 0,
                    "started_at": self.started.get(node.key, now),
                    "completed_at": now,
                    "created_at": self.started.get(node.key, now),
                    **extra,
                }
            )
        )

    def node_finished(
        self, node: Node, signature: str, *, cached: bool, duration_ms: int, preview: str | None
    ) -> None:
        self.completed += 1
        state = "cached" if cached else "succeeded"
        self._event(node, signature, state, duration_ms, preview_type="text", preview_value=preview)

    def node_failed(
        self, node: Node, signature: str, error: BaseException, duration_ms: int
    ) -> None:
        self._event(node, signature, "failed", duration_ms, error_message=str(error)[:2000])


class LocalProvider(Provider):
    def __init__(self, *, media: RunMedia, cache: DiskNodeCache, threads: int) -> None:
        self._media = media
        self._cache = cache
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="runflow-model")
        self._executions: dict[uuid.UUID, _Execution] = {}
        # Imported here, as the engine is built, not at a model's first run.
        self._flows = builtin_flows()

    async def submit(self, job: Job) -> None:
        """Flows start now, on the thread pool; echo, a coroutine, runs as its events are read."""
        current = self._executions.get(job.run_id)
        if current is not None and current.job.attempt == job.attempt:
            return
        execution = _Execution(job)
        self._executions[job.run_id] = execution
        flow = self._flows.get(job.model.removeprefix("runflow/"))
        if flow is not None:
            execution.events = asyncio.Queue()
            execution.task = asyncio.create_task(self._run_flow(execution, flow))

    async def events(self, run_id: uuid.UUID) -> AsyncIterator[ProviderEvent]:
        execution = self._executions[run_id]
        try:
            if execution.events is None:
                for event in await self._run_inline(execution):
                    yield event
                return
            async for event in until_outcome(execution.events):
                yield event
        finally:
            self._executions.pop(run_id, None)

    async def cancel(self, run_id: uuid.UUID) -> None:
        execution = self._executions.get(run_id)
        if execution is not None:
            # Echo notices at once; a flow stops at its next check between steps.
            execution.stop.set()

    async def close(self) -> None:
        for execution in self._executions.values():
            execution.stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        await self._media.fetcher.aclose()

    async def _run_inline(self, execution: _Execution) -> list[ProviderEvent]:
        job = execution.job
        if job.model != "runflow/echo":
            return [Failed("MODEL_UNAVAILABLE", f"No executor for {job.model}.", "dispatch")]
        try:
            return await self._echo(execution)
        except Cancelled:
            return [Failed("CANCELLED", "The run was cancelled.")]

    async def _run_flow(self, execution: _Execution, flow: Flow) -> None:
        assert execution.events is not None
        emit = execution.events.put_nowait
        try:
            emit(await self._flow(execution, flow))
        except (asyncio.CancelledError, Cancelled):
            emit(Failed("CANCELLED", "The run was cancelled."))
        except InputFetchFailed as exc:
            emit(Failed("INPUT_FETCH_FAILED", str(exc), "dispatch"))
        except MediaStoreFailed as exc:
            # The media storage, not the input, failed: worth another attempt.
            emit(Failed("MEDIA_STORE_FAILED", str(exc), "dispatch", retryable=True))
        except Exception as exc:
            # Whatever else went wrong still ends the run, instead of leaving it to time out.
            log.exception("flow_crashed", run_id=str(execution.job.run_id))
            emit(Failed("INTERNAL_ERROR", f"The run failed to execute ({type(exc).__name__})."))

    def run_now(self, job: Job) -> list[ProviderEvent] | None:
        if job.model != "runflow/echo" or job.input.get("delay_ms", 0):
            return None
        return _echo_events(job, utcnow())

    async def _echo(self, execution: _Execution) -> list[ProviderEvent]:
        job = execution.job
        started = utcnow()
        delay_ms = int(job.input.get("delay_ms", 0))
        # Sleep in short slices so a cancel request (a threading.Event) is noticed quickly.
        deadline = time.monotonic() + delay_ms / 1000
        while (left := deadline - time.monotonic()) > 0:
            if execution.stop.is_set():
                raise Cancelled
            await asyncio.sleep(min(left, 0.05))
        if execution.stop.is_set():
            raise Cancelled
        return _echo_events(job, started)

    async def _flow(self, execution: _Execution, flow: Flow) -> Finished | Failed:
        job = execution.job
        inputs = {**job.input, **await self._media.resolve_inputs(job)}
        loop = asyncio.get_running_loop()
        queue = execution.events
        assert queue is not None

        def emit(event: ProviderEvent) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        last_progress = [0.0]

        def progress(fraction: float, message: str) -> None:
            # At most ~50 progress events per run: enough for a smooth bar, few enough to log.
            if fraction - last_progress[0] >= 0.02 or fraction >= 1.0:
                last_progress[0] = fraction
                emit(Progress(fraction, message))

        recorder = _NodeRecorder(job.model, emit)
        context = NodeContext(progress=progress, should_stop=execution.stop.is_set)
        started = time.perf_counter()
        try:
            result = await loop.run_in_executor(
                self._pool,
                lambda: run_flow(flow, inputs, context, cache=self._cache, observer=recorder),
            )
        except ValueError as exc:  # the models' own refusals: undecodable or oversized images
            return Failed(
                # A model may name its refusal (`INVALID_IMAGE`); otherwise it is the model's.
                getattr(exc, "failure_code", "MODEL_ERROR"),
                str(exc),
                nodes_total=len(flow.nodes),
                nodes_completed=recorder.completed,
            )
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        queue.put_nowait(Log("info", f"{job.model} finished in {elapsed_ms} ms"))
        try:
            urls = await self._media.store_outputs(job, result.files)
        except OutputStoreFailed as exc:
            # The storage, not the model, failed: worth another attempt.
            return Failed(
                "OUTPUT_STORE_FAILED",
                str(exc),
                "output",
                retryable=True,
                nodes_total=len(flow.nodes),
                nodes_completed=recorder.completed,
            )
        output = {**result.output, **urls}
        return Finished(output, result.usage, len(flow.nodes), recorder.completed)


def _echo_events(job: Job, started: datetime) -> list[ProviderEvent]:
    """The echo model: its one node run, then its message back, or the failure asked for."""
    now = utcnow()
    failed = bool(job.input.get("fail"))
    node = NodeEvent(
        {
            "node_id": node_id(job.model, "echo"),
            "node_key": "echo",
            "node_type": "echo.respond",
            "state_code": "failed" if failed else "succeeded",
            "input": job.input,
            "input_signature": hashlib.sha256(
                json.dumps(job.input, sort_keys=True).encode()
            ).hexdigest(),
            "duration_ms": int((now - started).total_seconds() * 1000),
            "cost": 0,
            "retry_count": 0,
            "started_at": started,
            "completed_at": now,
            "created_at": started,
        }
    )
    if failed:
        message = job.input.get("fail_message") or "echo was asked to fail"
        return [node, Failed("MODEL_ERROR", message, nodes_total=1, nodes_completed=0)]
    return [node, Finished({"message": job.input.get("message", "")}, {}, 1, 1)]

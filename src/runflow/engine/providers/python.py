"""The Python provider: a models file's `provider = "python"` models, run in this worker.

A model is `run(inputs, context)` at `entry = "module:callable"` (the models file's folder
first on sys.path), with an optional `setup()` called once per process before its first run.
Sync callables run on threads of their own, so a model computing keeps neither the API nor the
queue waiting; `async def` ones run on the loop. Inputs arrive validated, image inputs as
`PIL.Image.Image` and video inputs as a local `pathlib.Path`; `context` is a `RunContext`.

The returned dict becomes the run's output: `PIL.Image.Image`, `bytes` of an image or video
and `pathlib.Path`s to such files are stored as media of the run's org and replaced by signed
URLs; JSON values stay as they are. Anything else, an exception or a value that is not a dict
fails the run `MODEL_ERROR` with a message for the customer; a traceback goes to this
worker's log only.

Cancel sets `context.cancelled`: a sync model that never looks at it keeps its thread until
it returns, but the run itself ends at its timeout all the same (the dispatcher's `TIMEOUT`),
and the process still exits on `SIGTERM`: the thread is a daemon (`kit.daemon_threads`).
"""

from __future__ import annotations

import asyncio
import inspect
import io
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from PIL import Image

from runflow.catalog.declarations import VariableType
from runflow.catalog.models_file import EntryNotLoadable, import_entry
from runflow.engine.media_io import (
    InputFetchFailed,
    MediaStoreFailed,
    OutputStoreFailed,
    RunMedia,
)
from runflow.engine.providers import (
    Failed,
    Finished,
    Job,
    Provider,
    ProviderEvent,
    until_outcome,
)
from runflow.engine.providers.python_context import RunContext, StopSignal
from runflow.engine.providers.python_outputs import (
    Scratch,
    UnsupportedOutput,
    artifacts_of,
    has_media,
)
from runflow.engine.providers.python_process import (
    ProcessDied,
    ProcessOutcome,
    ProcessRunner,
    SetupFailed,
)
from runflow.kit.daemon_threads import run_on_daemon_thread
from runflow.models_builtin.flow import Artifact

log = structlog.get_logger(__name__)

PROVIDER_CODE = "python"
_THREAD_NAME = "runflow-python"

# Setups done in this process, by (folder, entry, setup): once per process, not per provider
# (a process may build its provider again, as tests do; the model's module state stays).
_SET_UP: set[tuple[str, str, str | None]] = set()


class ModelError(Exception):
    """The model's own failure: its message is what the customer reads."""


@dataclass
class _Callables:
    key: tuple[str, str, str | None]
    run: Callable[..., Any]
    setup: Callable[[], Any] | None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _Execution:
    job: Job
    stop: threading.Event = field(default_factory=threading.Event)
    events: asyncio.Queue[ProviderEvent] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    is_async: bool = False
    # For `process = true`: the signal the pool process reads as `context.cancelled`.
    process_stop: StopSignal | None = None


class PythonProvider(Provider):
    def __init__(self, *, media: RunMedia, threads: int) -> None:
        self._media = media
        self._executions: dict[uuid.UUID, _Execution] = {}
        self._callables: dict[tuple[str, str, str | None], _Callables] = {}
        self._processes = ProcessRunner(threads)

    async def submit(self, job: Job) -> None:
        current = self._executions.get(job.run_id)
        if current is not None and current.job.attempt == job.attempt:
            return
        execution = _Execution(job)
        self._executions[job.run_id] = execution
        execution.task = asyncio.create_task(self._run(execution))

    async def events(self, run_id: uuid.UUID) -> AsyncIterator[ProviderEvent]:
        execution = self._executions[run_id]
        try:
            async for event in until_outcome(execution.events):
                yield event
        finally:
            self._executions.pop(run_id, None)

    async def cancel(self, run_id: uuid.UUID) -> None:
        execution = self._executions.get(run_id)
        if execution is None:
            return
        execution.stop.set()
        if execution.process_stop is not None:
            await asyncio.to_thread(execution.process_stop.set)
        if execution.is_async and execution.task is not None:
            # On the loop a coroutine can be interrupted at its next await; a thread cannot.
            execution.task.cancel()

    async def close(self) -> None:
        for execution in self._executions.values():
            execution.stop.set()
            if execution.is_async and execution.task is not None:
                execution.task.cancel()
        await asyncio.to_thread(self._processes.close)

    # -- one run -------------------------------------------------------------------------------

    async def _run(self, execution: _Execution) -> None:
        job = execution.job
        emit = execution.events.put_nowait
        try:
            emit(await self._outcome(execution))
        except asyncio.CancelledError:
            emit(Failed("CANCELLED", "The run was cancelled."))
        except ModelError as exc:
            emit(Failed("MODEL_ERROR", str(exc)))
        except InputFetchFailed as exc:
            emit(Failed("INPUT_FETCH_FAILED", str(exc), "dispatch"))
        except MediaStoreFailed as exc:
            emit(Failed("MEDIA_STORE_FAILED", str(exc), "dispatch", retryable=True))
        except OutputStoreFailed as exc:
            emit(Failed("OUTPUT_STORE_FAILED", str(exc), "output", retryable=True))
        except Exception as exc:
            log.exception("python_provider_crashed", run_id=str(job.run_id), model=job.model)
            emit(Failed("INTERNAL_ERROR", f"The run failed to execute ({type(exc).__name__})."))

    async def _outcome(self, execution: _Execution) -> Finished | Failed:
        job = execution.job
        with Scratch() as scratch:
            inputs = await self._inputs(job, scratch)
            try:
                if job.settings.get("process"):
                    ran = await self._in_process(execution, inputs)
                else:
                    ran = await self._in_this_process(execution, inputs)
            except asyncio.CancelledError:
                raise
            except ModelError:
                raise
            except Exception as exc:
                if execution.stop.is_set():
                    return _cancelled()
                raise _model_error(job, exc, "run") from None
            if execution.stop.is_set():
                return _cancelled()
            output, files = await self._output(job, ran.result, scratch)
        urls = await self._media.store_outputs(job, files) if files else {}
        return Finished(
            {**output, **urls},
            ran.usage,
            ran.nodes_total or None,
            ran.nodes_completed if ran.nodes_total else None,
        )

    def _emitter(self, execution: _Execution) -> Callable[[ProviderEvent], None]:
        loop = asyncio.get_running_loop()
        queue = execution.events

        def emit(event: ProviderEvent) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        return emit

    async def _in_this_process(
        self, execution: _Execution, inputs: dict[str, Any]
    ) -> ProcessOutcome:
        job = execution.job
        callables = await self._load(job)
        await self._set_up(job, callables)
        context = RunContext(job.model, self._emitter(execution), execution.stop)
        execution.is_async = inspect.iscoroutinefunction(callables.run)
        if execution.is_async:
            result = await callables.run(inputs, context)
        else:
            result = await run_on_daemon_thread(_THREAD_NAME, callables.run, inputs, context)
        return ProcessOutcome(
            result, context.reported_usage, context.nodes_total, context.nodes_completed
        )

    async def _in_process(self, execution: _Execution, inputs: dict[str, Any]) -> ProcessOutcome:
        job = execution.job

        def on_stop(stop: StopSignal) -> None:
            execution.process_stop = stop

        try:
            return await self._processes.run(
                job.model, dict(job.settings), inputs, self._emitter(execution), on_stop
            )
        except SetupFailed as exc:
            raise _model_error(job, exc, "setup") from None
        except ProcessDied as exc:
            raise ModelError(str(exc)) from None

    async def _load(self, job: Job) -> _Callables:
        root, entry, setup = str(job.settings["root"]), str(job.settings["entry"]), None
        if job.settings.get("setup"):
            setup = str(job.settings["setup"])
        key = (root, entry, setup)
        if key not in self._callables:
            try:
                run = await asyncio.to_thread(import_entry, Path(root), entry)
                set_up = await asyncio.to_thread(import_entry, Path(root), setup) if setup else None
            except EntryNotLoadable as exc:
                raise ModelError(f"The model could not be loaded: {exc}") from None
            self._callables.setdefault(key, _Callables(key, run, set_up))
        return self._callables[key]

    async def _set_up(self, job: Job, callables: _Callables) -> None:
        """`setup()` once per process; a failed one is tried again by the next run."""
        if callables.setup is None or callables.key in _SET_UP:
            return
        async with callables.lock:
            if callables.key in _SET_UP:
                return
            try:
                if inspect.iscoroutinefunction(callables.setup):
                    await callables.setup()
                else:
                    await run_on_daemon_thread(_THREAD_NAME, callables.setup)
            except Exception as exc:
                raise _model_error(job, exc, "setup") from None
            _SET_UP.add(callables.key)

    async def _inputs(self, job: Job, scratch: Scratch) -> dict[str, Any]:
        """The validated input, media resolved: images opened, videos as local files."""
        resolved = await self._media.resolve_inputs(job)
        inputs = dict(job.input)
        for name, data in resolved.items():
            if job.media_inputs[name] == VariableType.VIDEO:
                path = await asyncio.to_thread(scratch.path) / f"{name}{_video_suffix(data)}"
                await asyncio.to_thread(path.write_bytes, data)
                inputs[name] = path
            else:
                inputs[name] = await asyncio.to_thread(_open_image, data)
        return inputs

    async def _output(
        self, job: Job, result: object, scratch: Scratch
    ) -> tuple[dict[str, Any], dict[str, Artifact | list[Artifact]]]:
        if not isinstance(result, dict):
            raise ModelError(
                f"The model returned {type(result).__name__}; run() must return a dict."
            )
        try:
            if has_media(result):  # encoding and sniffing files: off the loop
                return await asyncio.to_thread(artifacts_of, result, scratch.path)
            return artifacts_of(result, scratch.path)
        except UnsupportedOutput as exc:
            raise ModelError(str(exc)) from None


def _model_error(job: Job, exc: Exception, stage: str) -> ModelError:
    # The customer reads the message; the operator reads the traceback in the worker's log.
    log.error(
        "python_model_failed", run_id=str(job.run_id), model=job.model, stage=stage, exc_info=exc
    )
    message = str(exc) or type(exc).__name__
    return ModelError(message if stage == "run" else f"setup() failed: {message}")


def _cancelled() -> Failed:
    return Failed("CANCELLED", "The run was cancelled.")


def _open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _video_suffix(data: bytes) -> str:
    """A file name extension for video readers that go by it."""
    if data[4:8] == b"ftyp":
        return ".mp4"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return ".webm"
    return ".bin"

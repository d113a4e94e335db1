"""The Cog provider: a models file's `provider = "cog"` models, run on a Cog model server
(the format of Replicate's open-source `cog`; DESIGN §13).

A run is one async prediction: `PUT {url}/predictions/{id}` with `Prefer: respond-async`, the
prediction id made of the run id and attempt (so submitting the same attempt twice is one
prediction). The server reports by webhook (`cog_hooks.py`): each report's new `logs` lines
become run logs, and the final one — `succeeded`, `failed` or `canceled` — ends the run.
`metrics.predict_time` is the usage dimension `predict_seconds`, for a per-second price.

Inputs go as they are, image and video inputs as `data:` URIs. The output — one value, or an
object whose fields are the model's outputs — keeps JSON values; a value of an output declared
`image` or `video` (a data URI or a URL, or a list of them) becomes media of the org.

Failures follow §5: a server that is down, not ready, busy (409) or answering 5xx fails the
attempt retryably at stage `dispatch` (`PROVIDER_UNAVAILABLE`); the model's own failure is
`MODEL_ERROR` with Cog's error; an answer that is not a prediction (not JSON, an unknown
status) is `PROVIDER_ERROR`. Cancel and the run's timeout `POST …/predictions/{id}/cancel`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from runflow.catalog.declarations import VariableType
from runflow.engine.media_io import RunMedia
from runflow.engine.providers import (
    Failed,
    Finished,
    Job,
    Log,
    Provider,
    ProviderEvent,
    until_outcome,
)
from runflow.engine.providers.cog_hooks import Prediction, WebhookReceiver
from runflow.engine.providers.python_outputs import Scratch, UnsupportedOutput, artifacts_of
from runflow.engine.providers.remote import Misbehaved, Unavailable, settle

log = structlog.get_logger(__name__)

PROVIDER_CODE = "cog"
_MEDIA = (VariableType.IMAGE, VariableType.VIDEO)
_TERMINAL = {"succeeded", "failed", "canceled"}
_KNOWN = _TERMINAL | {"starting", "processing"}
# While waiting for the final report, the server is asked whether it still lives this often.
_WATCH_INTERVAL_S = 2.0
_READY_FOR_S = 1.0
_BUSY_FOR_S = 10.0


@dataclass
class _Prediction:
    job: Job
    id: str
    events: asyncio.Queue[ProviderEvent] = field(default_factory=asyncio.Queue)
    final: asyncio.Future[Prediction] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    logged: int = 0  # characters of `logs` already turned into run logs
    task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return str(self.job.settings["url"])

    def report(self, prediction: Prediction) -> None:
        """A webhook report: new log lines now, the outcome once final."""
        logs = prediction.get("logs")
        if isinstance(logs, str) and len(logs) > self.logged:
            for line in logs[self.logged :].splitlines():
                if line.strip():
                    self.events.put_nowait(Log("info", line))
            self.logged = len(logs)
        if prediction.get("status") not in {"starting", "processing"} and not self.final.done():
            self.final.set_result(prediction)


class CogProvider(Provider):
    def __init__(
        self,
        *,
        media: RunMedia,
        webhook_bind: str = "127.0.0.1:0",
        webhook_url: str | None = None,
        max_output_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self._media = media
        self._hooks = WebhookReceiver(webhook_bind, webhook_url)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
        self._max_output_bytes = max_output_bytes
        self._predictions: dict[uuid.UUID, _Prediction] = {}
        self._stopping: set[asyncio.Task[bool]] = set()
        self._ready_until: dict[str, float] = {}  # by server URL, in loop time

    async def submit(self, job: Job) -> None:
        current = self._predictions.get(job.run_id)
        if current is not None and current.job.attempt == job.attempt:
            return
        prediction = _Prediction(job, f"{job.run_id.hex}-{job.attempt}")
        self._predictions[job.run_id] = prediction
        prediction.task = asyncio.create_task(self._run(prediction))

    async def events(self, run_id: uuid.UUID) -> AsyncIterator[ProviderEvent]:
        prediction = self._predictions[run_id]
        try:
            async for event in until_outcome(prediction.events):
                yield event
        finally:
            self._predictions.pop(run_id, None)
            self._hooks.forget(prediction.id)
            if prediction.task is not None and not prediction.task.done():
                prediction.task.cancel()
            if not prediction.final.done():
                # Abandoned (the run timed out, or the worker stops): stop it there too.
                stopping = asyncio.create_task(self._cancel_there(prediction))
                self._stopping.add(stopping)
                stopping.add_done_callback(self._stopping.discard)

    async def cancel(self, run_id: uuid.UUID) -> None:
        prediction = self._predictions.get(run_id)
        if prediction is None or await self._cancel_there(prediction):
            return
        if not prediction.final.done():  # nothing left to cancel there: end the run here
            prediction.final.set_result({"status": "canceled"})

    async def _cancel_there(self, prediction: _Prediction) -> bool:
        """`POST …/cancel`; False when the server could not be reached."""
        try:
            await self._http.post(f"{prediction.url}/predictions/{prediction.id}/cancel")
        except httpx.HTTPError:
            return False
        return True

    async def close(self) -> None:
        for prediction in list(self._predictions.values()):
            if prediction.task is not None:
                prediction.task.cancel()
        if self._stopping:
            await asyncio.wait(self._stopping, timeout=5)
        await self._hooks.close()
        await self._http.aclose()

    # -- one prediction --------------------------------------------------------------------

    async def _run(self, prediction: _Prediction) -> None:
        await settle(prediction.job, self._outcome(prediction), prediction.events)

    async def _outcome(self, prediction: _Prediction) -> Finished | Failed:
        job = prediction.job
        await self._ready(prediction.url)
        hook = await self._hooks.url_for(prediction.id, prediction.report)
        body = {
            "id": prediction.id,
            "input": await self._input(job),
            "webhook": hook,
            # Logs are kept when the run ends: the final report, which has them all, is enough.
            "webhook_events_filter": ["completed"],
        }
        accepted = await self._put(prediction, body)
        if accepted.status_code == 422:
            return Failed("MODEL_ERROR", f"The model refused the input: {_detail(accepted)}")
        _check(accepted)
        status = _json(accepted).get("status")
        if status not in _KNOWN:
            raise Misbehaved(f"The Cog server reported an unknown prediction status {status!r}.")
        final = await self._final(prediction)
        return await self._ended(job, final)

    async def _put(self, prediction: _Prediction, body: dict[str, Any]) -> httpx.Response:
        """Create the prediction. A Cog server busy (409) for a moment — it still cleans up
        after the previous prediction, for a few milliseconds — is asked again every 5 ms for
        the first second, every 50 ms after that, for up to `_BUSY_FOR_S`; longer, the
        attempt fails and is retried later."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            response = await self._call(
                "PUT",
                f"{prediction.url}/predictions/{prediction.id}",
                json=body,
                headers={"Prefer": "respond-async"},
            )
            waited = loop.time() - started
            if response.status_code != 409 or waited > _BUSY_FOR_S:
                return response
            await asyncio.sleep(0.005 if waited < 1.0 else 0.05)

    async def _final(self, prediction: _Prediction) -> Prediction:
        """The final report, while making sure the server still lives to send it."""
        while True:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(prediction.final), _WATCH_INTERVAL_S)
            try:
                await self._http.get(f"{prediction.url}/health-check", timeout=5.0)
            except httpx.HTTPError as exc:
                raise Unavailable(
                    f"The Cog server at {prediction.url} stopped answering during the "
                    f"prediction ({type(exc).__name__})."
                ) from None

    async def _ended(self, job: Job, final: Prediction) -> Finished | Failed:
        status = final.get("status")
        if status == "succeeded":
            return await self._finished(job, final)
        if status == "failed":
            return Failed("MODEL_ERROR", str(final.get("error") or "The prediction failed."))
        if status == "canceled":
            return Failed("CANCELLED", "The run was cancelled.")
        raise Misbehaved(f"The Cog server reported an unknown prediction status {status!r}.")

    async def _finished(self, job: Job, final: Prediction) -> Finished:
        declared: dict[str, str] = dict(job.settings.get("outputs") or {})
        given = final.get("output")
        if isinstance(given, dict) and (not declared or set(given) <= set(declared)):
            values = dict(given)
        else:
            values = {next(iter(declared), "output"): given}
        for name, value in values.items():
            if declared.get(name) in _MEDIA:
                values[name] = await self._files(value)
        with Scratch() as scratch:
            try:
                output, files = await asyncio.to_thread(artifacts_of, values, scratch.path)
            except UnsupportedOutput as exc:
                raise Misbehaved(f"The Cog output could not be kept: {exc}") from None
        urls = await self._media.store_outputs(job, files) if files else {}
        metrics = final.get("metrics") or {}
        usage = {}
        if isinstance(metrics, dict) and isinstance(metrics.get("predict_time"), int | float):
            usage["predict_seconds"] = float(metrics["predict_time"])
        return Finished({**output, **urls}, usage)

    # -- the server ------------------------------------------------------------------------

    async def _ready(self, url: str) -> None:
        """Raise unless the server is ready; a ready answer holds for `_READY_FOR_S`, so a
        stream of short predictions does not pay a health check each."""
        now = asyncio.get_running_loop().time()
        if self._ready_until.get(url, 0.0) > now:
            return
        response = await self._call("GET", f"{url}/health-check")
        _check(response)
        status = _json(response).get("status")
        if status not in ("READY", "BUSY"):
            self._ready_until.pop(url, None)
            raise Unavailable(f"The Cog server at {url} is not ready (status {status!r}).")
        self._ready_until[url] = now + _READY_FOR_S

    async def _call(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, **options)
        except httpx.HTTPError as exc:
            self._ready_until.clear()
            raise Unavailable(
                f"The Cog server at {url.split('/predictions')[0].split('/health-check')[0]} "
                f"could not be reached ({type(exc).__name__})."
            ) from None

    async def _input(self, job: Job) -> dict[str, Any]:
        given = dict(job.input)
        for name, data in (await self._media.resolve_inputs(job)).items():
            given[name] = _data_uri(data)
        return given

    async def _files(self, value: Any) -> Any:
        """A file output (a data URI or a URL, or a list of them) as bytes to store."""
        if isinstance(value, list):
            return [await self._files(item) for item in value]
        if not isinstance(value, str):
            return value
        if value.startswith("data:"):
            try:
                return base64.b64decode(value.partition(",")[2], validate=True)
            except (binascii.Error, ValueError):
                raise Misbehaved("The Cog output holds a data URI that is not base64.") from None
        if value.startswith(("http://", "https://")):
            return await self._download(value)
        return value

    async def _download(self, url: str) -> bytes:
        try:
            async with self._http.stream("GET", url) as response:
                response.raise_for_status()
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self._max_output_bytes:
                        raise Misbehaved(f"The Cog output at {url} is larger than the media limit.")
                return bytes(data)
        except httpx.HTTPError as exc:
            raise Unavailable(f"The Cog output at {url} could not be read: {exc}") from None


def _check(response: httpx.Response) -> None:
    if response.status_code == 409:
        raise Unavailable("The Cog server is busy with another prediction (409).")
    if response.status_code >= 500:
        raise Unavailable(f"The Cog server answered {response.status_code}.")
    if response.status_code >= 400:
        raise Misbehaved(f"The Cog server answered {response.status_code}: {_detail(response)}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise Misbehaved(
            f"The Cog server answered {response.status_code} with a body that is not JSON."
        ) from None
    if not isinstance(body, dict):
        raise Misbehaved("The Cog server answered with JSON that is not an object.")
    return body


def _detail(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict) and "detail" in body:
            return str(body["detail"])[:1000]
    return response.text[:1000]


def _data_uri(data: bytes) -> str:
    return f"data:{_content_type(data)};base64,{base64.b64encode(data).decode()}"


def _content_type(data: bytes) -> str:
    signatures = (
        (b"\x89PNG", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"\x1a\x45\xdf\xa3", "video/webm"),
    )
    for magic, content_type in signatures:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return "application/octet-stream"

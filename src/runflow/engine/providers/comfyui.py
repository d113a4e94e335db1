"""The ComfyUI provider: a models file's `provider = "comfyui"` models, each a workflow in
ComfyUI's API format run on a ComfyUI server (DESIGN §13).

A run: connect `/ws?clientId=…` first (so no message is missed), upload image inputs
(`/upload/image`), patch the workflow at each input's `target` (`<node id>.inputs.<name>`),
`POST /prompt` with the client id, then follow the WebSocket for this prompt: `execution_cached`
nodes become node runs `cached`, each node that ran a node run `succeeded` (ComfyUI's node id
as `node_key`, its class type as `node_type`), `progress` the run's progress, and
`execution_error` / `execution_interrupted` end it. On `execution_success` the outputs come
from `/history/{prompt_id}` and `/view`, stored as media: each output's `source` node's
images, or every output node's under the first declared output.

Cancel interrupts the prompt when it runs (`POST /interrupt` with its id) and deletes it when
it is still queued (`POST /queue {"delete": […]}`). A WebSocket that drops mid-run is not a
failure: the run reads `/history` and `/queue` until the prompt ends. A server that cannot be
reached, or that lost the prompt, fails the attempt `PROVIDER_UNAVAILABLE` (retried per §5).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import structlog
import websockets
from websockets.asyncio.client import ClientConnection

from runflow.engine.media_io import RunMedia
from runflow.engine.providers import (
    Failed,
    Finished,
    Job,
    NodeEvent,
    Progress,
    Provider,
    ProviderEvent,
    until_outcome,
)
from runflow.engine.providers.python_outputs import Scratch, artifacts_of
from runflow.engine.providers.remote import Unavailable, settle
from runflow.kit.clock import utcnow

log = structlog.get_logger(__name__)

PROVIDER_CODE = "comfyui"
_NODE_NAMESPACE = uuid.UUID("0b0f5cf4-4d5e-4a67-9d1c-5f3c2b9a7e11")
# After the WebSocket dropped, how often /history and /queue are read until the prompt ends.
_RECONCILE_INTERVAL_S = 0.25


@dataclass
class _Run:
    job: Job
    events: asyncio.Queue[ProviderEvent] = field(default_factory=asyncio.Queue)
    prompt_id: str | None = None
    cancelled: bool = False
    task: asyncio.Task[None] | None = None
    # Node id → when it started; and the nodes done (ran or cached).
    started: dict[str, Any] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return str(self.job.settings["url"])

    @property
    def workflow(self) -> dict[str, Any]:
        workflow: dict[str, Any] = self.job.settings["workflow"]
        return workflow

    def node(
        self,
        node_id: str,
        state: str,
        error: str | None = None,
        shown: dict[str, Any] | None = None,
    ) -> None:
        """A node run, as it ended. ComfyUI's node id and class type are in its `output`
        (with what the node showed, for output nodes) and its preview; `node_key` and
        `node_type` hold them too."""
        now = utcnow()
        began = self.started.pop(node_id, now)
        spec = self.workflow.get(node_id, {})
        inputs = spec.get("inputs", {})
        self.events.put_nowait(
            NodeEvent(
                {
                    "node_id": uuid.uuid5(_NODE_NAMESPACE, f"{self.job.model}/{node_id}"),
                    "node_key": node_id,
                    "node_type": str(spec.get("class_type", "unknown"))[:100],
                    "state_code": state,
                    "input": inputs,
                    "output": {
                        "comfyui_node_id": node_id,
                        "class_type": spec.get("class_type"),
                        **({"ui": shown} if shown else {}),
                    },
                    "preview_type": "text",
                    "preview_value": f"{spec.get('class_type')} #{node_id}",
                    "input_signature": hashlib.sha256(
                        orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)
                    ).hexdigest(),
                    "duration_ms": int((now - began).total_seconds() * 1000),
                    "cost": 0,
                    "retry_count": 0,
                    "started_at": began,
                    "completed_at": now,
                    "created_at": began,
                    "error_message": error,
                }
            )
        )
        self.done.add(node_id)


class ComfyUIProvider(Provider):
    def __init__(self, *, media: RunMedia) -> None:
        self._media = media
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
        self._runs: dict[uuid.UUID, _Run] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    async def submit(self, job: Job) -> None:
        current = self._runs.get(job.run_id)
        if current is not None and current.job.attempt == job.attempt:
            return
        run = _Run(job)
        self._runs[job.run_id] = run
        run.task = asyncio.create_task(self._run(run))

    async def events(self, run_id: uuid.UUID) -> AsyncIterator[ProviderEvent]:
        run = self._runs[run_id]
        try:
            async for event in until_outcome(run.events):
                yield event
        finally:
            self._runs.pop(run_id, None)
            if run.task is not None and not run.task.done():
                run.task.cancel()
                if run.prompt_id is not None:  # abandoned (timed out): stop it there too
                    stopping = asyncio.create_task(self._stop(run))
                    self._stopping.add(stopping)
                    stopping.add_done_callback(self._stopping.discard)

    async def cancel(self, run_id: uuid.UUID) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        run.cancelled = True
        if run.prompt_id is not None:
            await self._stop(run)

    async def close(self) -> None:
        for run in list(self._runs.values()):
            if run.task is not None:
                run.task.cancel()
        if self._stopping:
            await asyncio.wait(self._stopping, timeout=5)
        await self._http.aclose()

    async def _stop(self, run: _Run) -> None:
        """Interrupt the prompt if it runs, delete it if it waits."""
        try:
            queue = (await self._http.get(f"{run.url}/queue")).json()
            running = [item[1] for item in queue.get("queue_running", [])]
            if run.prompt_id in running:
                await self._http.post(f"{run.url}/interrupt", json={"prompt_id": run.prompt_id})
            else:
                await self._http.post(f"{run.url}/queue", json={"delete": [run.prompt_id]})
                if not run.events.empty() or run.task is None or run.task.done():
                    return
                # A deleted prompt never runs, so no message will end the run: end it here.
                run.events.put_nowait(Failed("CANCELLED", "The run was cancelled."))
                run.task.cancel()
        except (httpx.HTTPError, ValueError):
            log.warning("comfyui_cancel_failed", run_id=str(run.job.run_id), url=run.url)

    # -- one run ---------------------------------------------------------------------------

    async def _run(self, run: _Run) -> None:
        await settle(run.job, self._outcome(run), run.events)

    async def _outcome(self, run: _Run) -> Finished | Failed:
        client_id = uuid.uuid4().hex
        socket_url = run.url.replace("http", "ws", 1) + f"/ws?clientId={client_id}"
        try:
            socket = await websockets.connect(socket_url, max_size=None, open_timeout=10)
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            raise Unavailable(
                f"The ComfyUI server at {run.url} could not be reached ({type(exc).__name__})."
            ) from None
        try:
            workflow = await self._patched(run)
            refused = await self._queue(run, workflow, client_id)
            if refused is not None:
                return refused
            ended = await self._follow(run, socket)
        finally:
            await socket.close()
        if ended is None:
            ended = await self._reconcile(run)
        return ended if isinstance(ended, Failed) else await self._finished(run)

    async def _patched(self, run: _Run) -> dict[str, Any]:
        """The workflow with the run's inputs at their targets, images uploaded first."""
        job = run.job
        given = dict(job.input)
        for name, data in (await self._media.resolve_inputs(job)).items():
            filename = f"runflow-{job.run_id.hex}-{job.attempt}-{name}"
            uploaded = await self._call(
                "POST",
                f"{run.url}/upload/image",
                files={"image": (filename, data)},
                data={"overwrite": "true", "type": "input"},
            )
            given[name] = uploaded.json()["name"]
        workflow = copy.deepcopy(run.workflow)
        for name, (node_id, key) in job.settings["targets"].items():
            if name in given:
                workflow[node_id]["inputs"][key] = given[name]
        return workflow

    async def _queue(self, run: _Run, workflow: dict[str, Any], client_id: str) -> Failed | None:
        response = await self._call(
            "POST", f"{run.url}/prompt", json={"prompt": workflow, "client_id": client_id}
        )
        if response.status_code == 400:
            return Failed("MODEL_ERROR", _refusal(response), "dispatch")
        if response.status_code >= 400:
            raise Unavailable(f"The ComfyUI server answered {response.status_code} to /prompt.")
        run.prompt_id = str(response.json()["prompt_id"])
        if run.cancelled:
            await self._stop(run)
        return None

    async def _follow(self, run: _Run, socket: ClientConnection) -> Finished | Failed | None:
        """The prompt's messages until it ends: Failed, a placeholder Finished for success,
        or None when the WebSocket dropped first."""
        current: str | None = None
        total = len(run.workflow)
        try:
            async for raw in socket:
                if isinstance(raw, bytes):
                    continue  # a binary preview image
                message = orjson.loads(raw)
                kind, data = message.get("type"), message.get("data") or {}
                if data.get("prompt_id") != run.prompt_id:
                    continue
                if kind == "execution_cached":
                    for node_id in data.get("nodes", []):
                        run.node(str(node_id), "cached")
                elif kind == "executing":
                    if current is not None and current not in run.done:
                        run.node(current, "succeeded")
                    current = data.get("node")
                    if current is None:
                        return _SUCCESS
                    run.started[current] = utcnow()
                elif kind == "progress":
                    step = float(data.get("value", 0)) / max(float(data.get("max", 1)), 1.0)
                    node = str(data.get("node"))
                    kind_of = run.workflow.get(node, {}).get("class_type", "node")
                    run.events.put_nowait(
                        Progress(
                            min(1.0, (len(run.done) + step) / total),
                            f"{kind_of} (node {node}): {data.get('value')}/{data.get('max')}",
                        )
                    )
                elif kind == "executed" and str(data.get("node")) not in run.done:
                    # (A cached output node reports its output again: it is a node run already.)
                    run.node(str(data.get("node")), "succeeded", shown=data.get("output"))
                elif kind == "execution_success":
                    if current is not None and current not in run.done:
                        run.node(current, "succeeded")
                    return _SUCCESS
                elif kind == "execution_error":
                    return self._error(run, data)
                elif kind == "execution_interrupted":
                    return _failed(run, "CANCELLED", "The run was cancelled.")
        except websockets.ConnectionClosed:
            log.warning("comfyui_websocket_dropped", run_id=str(run.job.run_id))
        return None

    def _error(self, run: _Run, data: dict[str, Any]) -> Failed:
        node_id = str(data.get("node_id"))
        message = str(data.get("exception_message", "")).strip() or "the node failed"
        node_type = data.get("node_type", "node")
        run.node(node_id, "failed", message[:2000])
        return _failed(run, "MODEL_ERROR", f"{node_type} (node {node_id}) failed: {message}")

    async def _reconcile(self, run: _Run) -> Finished | Failed:
        """After the WebSocket dropped: the prompt's end from /history, while /queue has it."""
        while True:
            entry = await self._history(run)
            if entry is not None:
                status = entry.get("status") or {}
                if status.get("status_str") == "success":
                    return _SUCCESS
                for kind, data in status.get("messages", []):
                    if kind == "execution_error":
                        return self._error(run, data)
                    if kind == "execution_interrupted":
                        return Failed("CANCELLED", "The run was cancelled.")
                return Failed("MODEL_ERROR", "ComfyUI reported the prompt as failed.")
            queue = (await self._call("GET", f"{run.url}/queue")).json()
            listed = queue.get("queue_running", []) + queue.get("queue_pending", [])
            if run.prompt_id not in {item[1] for item in listed}:
                raise Unavailable("The ComfyUI server no longer has the prompt.")
            await asyncio.sleep(_RECONCILE_INTERVAL_S)

    async def _history(self, run: _Run) -> dict[str, Any] | None:
        history = (await self._call("GET", f"{run.url}/history/{run.prompt_id}")).json()
        entry: dict[str, Any] | None = history.get(run.prompt_id)
        return entry

    async def _finished(self, run: _Run) -> Finished:
        entry = await self._history(run)
        if entry is None:
            raise Unavailable("The ComfyUI server has no history of the finished prompt.")
        settings = run.job.settings
        by_node: dict[str, list[bytes]] = {}
        for node_id, shown in (entry.get("outputs") or {}).items():
            for image in shown.get("images", []) + shown.get("gifs", []):
                params = {key: image.get(key, "") for key in ("filename", "subfolder", "type")}
                viewed = await self._call("GET", f"{run.url}/view", params=params)
                if viewed.status_code != 200:
                    raise Unavailable(f"/view answered {viewed.status_code} for an output.")
                by_node.setdefault(str(node_id), []).append(viewed.content)
        sources: dict[str, str] = settings.get("sources") or {}
        values: dict[str, Any] = {}
        if sources:
            for name, node_id in sources.items():
                images = by_node.get(node_id, [])
                values[name] = images[0] if len(images) == 1 else images
        else:
            every = [image for images in by_node.values() for image in images]
            values[str(settings.get("default_output") or "images")] = (
                every[0] if len(every) == 1 else every
            )
        with Scratch() as scratch:
            output, files = await asyncio.to_thread(artifacts_of, values, scratch.path)
        urls = await self._media.store_outputs(run.job, files) if files else {}
        total = len(run.workflow)
        return Finished(
            {**output, **urls},
            {"images": float(sum(map(len, by_node.values())))},
            nodes_total=total,
            nodes_completed=len(run.done),
        )

    async def _call(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, **options)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"The ComfyUI server could not be reached ({type(exc).__name__})."
            ) from None


_SUCCESS = Finished({}, {})


def _failed(run: _Run, code: str, message: str) -> Failed:
    return Failed(code, message, nodes_total=len(run.workflow), nodes_completed=len(run.done))


def _refusal(response: httpx.Response) -> str:
    """ComfyUI's reasons for refusing a prompt, in one line."""
    try:
        body = response.json()
    except ValueError:
        return f"ComfyUI refused the workflow: {response.text[:500]}"
    error = body.get("error") or {}
    parts = [str(error.get("message") or "invalid prompt")]
    if error.get("details"):
        parts.append(str(error["details"]))
    for node_id, problem in (body.get("node_errors") or {}).items():
        for each in problem.get("errors", []):
            parts.append(
                f"node {node_id} ({problem.get('class_type')}): {each.get('message')}"
                f" {each.get('details', '')}".rstrip()
            )
    return "ComfyUI refused the workflow: " + "; ".join(parts)

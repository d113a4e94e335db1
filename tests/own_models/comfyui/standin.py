"""A stand-in ComfyUI server: ComfyUI's HTTP and WebSocket protocol, with a few real nodes.

ComfyUI needs PyTorch and a GPU, so the tests of ComfyUI models run against this instead. It
answers as ComfyUI's `server.py` does (`POST /prompt` → `{prompt_id, number, node_errors}`, a
400 with `error` and `node_errors` for an invalid prompt, `/history/{id}`, `/view`,
`/upload/image`, `/interrupt`, `/queue`) and executes like its `execution.py`: one prompt at a
time from a queue, a `status` message on connect and when the queue changes, then
`execution_start`, `execution_cached` (nodes whose inputs did not change since they last ran),
`executing` per node, `progress` from long nodes, `executed` for output nodes,
`execution_success` and a final `executing` with `node: null` — or `execution_error` /
`execution_interrupted`. Messages go to the client id the prompt was queued with.

Its nodes compute real images with PIL: `EmptyImage`, `LoadImage`, `ImageInvert`,
`SlowBlur` (reports `progress` per step, honours `/interrupt`), `SaveImage`, and for the tests
`RaiseError` (fails) and `DropWebSocket` (closes the client's WebSocket mid-run).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from PIL import Image, ImageFilter, ImageOps
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


class Interrupted(Exception):
    pass


@dataclass(frozen=True)
class NodeClass:
    required: tuple[str, ...]
    run: Callable[..., Any]
    output_node: bool = False


@dataclass
class Queued:
    number: int
    prompt_id: str
    prompt: dict[str, Any]
    client_id: str | None


@dataclass
class StandIn:
    folder: Path
    queue: list[Queued] = field(default_factory=list)
    running: Queued | None = None
    history: dict[str, Any] = field(default_factory=dict)
    sockets: dict[str, WebSocket] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # node id → (signature, output)
    interrupts: int = 0
    deleted: list[str] = field(default_factory=list)
    counter: int = 0
    interrupted: bool = False
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        (self.folder / "input").mkdir(parents=True, exist_ok=True)
        (self.folder / "output").mkdir(parents=True, exist_ok=True)

    # -- nodes -------------------------------------------------------------------------------

    def classes(self) -> dict[str, NodeClass]:
        return {
            "EmptyImage": NodeClass(("width", "height", "color"), self._empty),
            "LoadImage": NodeClass(("image",), self._load),
            "ImageInvert": NodeClass(("image",), lambda ctx, image: ImageOps.invert(image)),
            "SlowBlur": NodeClass(("image", "steps"), self._slow_blur),
            "SaveImage": NodeClass(("images", "filename_prefix"), self._save, output_node=True),
            "RaiseError": NodeClass(("image", "message"), self._raise),
            "DropWebSocket": NodeClass(("image",), self._drop),
        }

    def _empty(self, ctx: Any, width: int, height: int, color: int) -> Image.Image:
        return Image.new(
            "RGB", (width, height), ((color >> 16) & 255, (color >> 8) & 255, color & 255)
        )

    def _load(self, ctx: Any, image: str) -> Image.Image:
        with Image.open(self.folder / "input" / image) as opened:
            return opened.convert("RGB")

    async def _slow_blur(self, ctx: Any, image: Image.Image, steps: int) -> Image.Image:
        for step in range(steps):
            if self.interrupted:
                raise Interrupted
            image = image.filter(ImageFilter.GaussianBlur(1))
            await ctx.progress(step + 1, steps)
            await asyncio.sleep(0.05)
        return image

    def _save(self, ctx: Any, images: Image.Image, filename_prefix: str) -> dict[str, Any]:
        self.counter += 1
        name = f"{filename_prefix}_{self.counter:05}_.png"
        images.save(self.folder / "output" / name)
        return {"ui": {"images": [{"filename": name, "subfolder": "", "type": "output"}]}}

    def _raise(self, ctx: Any, image: Image.Image, message: str) -> Image.Image:
        raise RuntimeError(message)

    async def _drop(self, ctx: Any, image: Image.Image) -> Image.Image:
        await ctx.drop_socket()
        await asyncio.sleep(0.3)
        return image

    # -- protocol ----------------------------------------------------------------------------

    async def send(self, client_id: str | None, kind: str, data: dict[str, Any]) -> None:
        targets = [self.sockets[client_id]] if client_id in self.sockets else []
        if client_id is None:
            targets = list(self.sockets.values())
        for socket in targets:
            with contextlib.suppress(Exception):  # a client gone meanwhile
                await socket.send_text(json.dumps({"type": kind, "data": data}))

    async def broadcast_status(self) -> None:
        remaining = len(self.queue) + (1 if self.running else 0)
        for client_id in list(self.sockets):
            await self.send(
                client_id,
                "status",
                {"status": {"exec_info": {"queue_remaining": remaining}}, "sid": client_id},
            )

    def validate(self, prompt: Any) -> dict[str, Any] | None:
        """ComfyUI's 400 body for an invalid prompt, or None."""
        classes = self.classes()
        if not isinstance(prompt, dict) or not prompt:
            return {
                "error": {
                    "type": "invalid_prompt",
                    "message": "Cannot execute because the prompt is empty or not an object.",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": {},
            }
        node_errors: dict[str, Any] = {}
        for node_id, node in prompt.items():
            class_type = node.get("class_type") if isinstance(node, dict) else None
            if class_type not in classes:
                return {
                    "error": {
                        "type": "invalid_prompt",
                        "message": f"Cannot execute because node {class_type} does not exist.",
                        "details": f"Node ID '#{node_id}'",
                        "extra_info": {},
                    },
                    "node_errors": {},
                }
            missing = [
                name for name in classes[class_type].required if name not in node.get("inputs", {})
            ]
            if missing:
                node_errors[node_id] = {
                    "errors": [
                        {
                            "type": "required_input_missing",
                            "message": "Required input is missing",
                            "details": name,
                            "extra_info": {"input_name": name},
                        }
                        for name in missing
                    ],
                    "dependent_outputs": [],
                    "class_type": class_type,
                }
        if not any(classes[node["class_type"]].output_node for node in prompt.values()):
            return {
                "error": {
                    "type": "prompt_no_outputs",
                    "message": "Prompt has no outputs",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": {},
            }
        if node_errors:
            return {
                "error": {
                    "type": "prompt_outputs_failed_validation",
                    "message": "Prompt outputs failed validation",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": node_errors,
            }
        return None

    async def worker(self) -> None:
        while True:
            while not self.queue:
                self.wakeup.clear()
                await self.wakeup.wait()
            item = self.queue.pop(0)
            self.running = item
            self.interrupted = False
            try:
                await self.execute(item)
            finally:
                self.running = None
                await self.broadcast_status()

    async def execute(self, item: Queued) -> None:
        prompt, client = item.prompt, item.client_id
        messages: list[Any] = []

        async def emit(kind: str, data: dict[str, Any], record: bool = False) -> None:
            if record:
                messages.append([kind, data])
            await self.send(client, kind, data)

        await emit("execution_start", {"prompt_id": item.prompt_id, "timestamp": _now()}, True)
        order = _order(prompt)
        signatures = {node_id: _signature(prompt, node_id) for node_id in order}
        cached = [n for n in order if self.cache.get(n, (None,))[0] == signatures[n]]
        await emit(
            "execution_cached",
            {"nodes": cached, "prompt_id": item.prompt_id, "timestamp": _now()},
            True,
        )
        outputs: dict[str, Any] = {}
        ui: dict[str, Any] = {}
        executed: list[str] = list(cached)
        classes = self.classes()
        for node_id in order:
            node = prompt[node_id]
            if node_id in cached:
                # As ComfyUI does: a cached output node reports its stored output again.
                outputs[node_id] = result = self.cache[node_id][1]
                if isinstance(result, dict) and "ui" in result:
                    ui[node_id] = result["ui"]
                    await emit(
                        "executed",
                        {
                            "node": node_id,
                            "display_node": node_id,
                            "output": result["ui"],
                            "prompt_id": item.prompt_id,
                        },
                    )
                continue
            await emit(
                "executing", {"node": node_id, "display_node": node_id, "prompt_id": item.prompt_id}
            )
            inputs = {
                name: outputs[value[0]] if isinstance(value, list) else value
                for name, value in node["inputs"].items()
            }
            context = _Context(self, client, item.prompt_id, node_id)
            try:
                result = classes[node["class_type"]].run(context, **inputs)
                if asyncio.iscoroutine(result):
                    result = await result
            except Interrupted:
                await emit(
                    "execution_interrupted",
                    {
                        "prompt_id": item.prompt_id,
                        "node_id": node_id,
                        "node_type": node["class_type"],
                        "executed": executed,
                        "timestamp": _now(),
                    },
                    True,
                )
                self._record(item, ui, "error", messages)
                return
            except Exception as error:
                await emit(
                    "execution_error",
                    {
                        "prompt_id": item.prompt_id,
                        "node_id": node_id,
                        "node_type": node["class_type"],
                        "executed": executed,
                        "exception_message": str(error),
                        "exception_type": type(error).__name__,
                        "traceback": [f"{type(error).__name__}: {error}\n"],
                        "current_inputs": {},
                        "current_outputs": {},
                        "timestamp": _now(),
                    },
                    True,
                )
                self._record(item, ui, "error", messages)
                return
            executed.append(node_id)
            if isinstance(result, dict) and "ui" in result:
                ui[node_id] = result["ui"]
                await emit(
                    "executed",
                    {
                        "node": node_id,
                        "display_node": node_id,
                        "output": result["ui"],
                        "prompt_id": item.prompt_id,
                    },
                )
            outputs[node_id] = result
            self.cache[node_id] = (signatures[node_id], result)
        await emit("execution_success", {"prompt_id": item.prompt_id, "timestamp": _now()}, True)
        self._record(item, ui, "success", messages)
        await emit("executing", {"node": None, "prompt_id": item.prompt_id})

    def _record(self, item: Queued, ui: dict[str, Any], status: str, messages: list[Any]) -> None:
        self.history[item.prompt_id] = {
            "prompt": [
                item.number,
                item.prompt_id,
                item.prompt,
                {"client_id": item.client_id},
                _outputs(item.prompt, self.classes()),
            ],
            "outputs": ui,
            "status": {
                "status_str": status,
                "completed": status == "success",
                "messages": messages,
            },
            "meta": {node: {"node_id": node, "display_node": node} for node in ui},
        }


class _Context:
    def __init__(self, standin: StandIn, client: str | None, prompt_id: str, node: str) -> None:
        self.standin, self.client, self.prompt_id, self.node = standin, client, prompt_id, node

    async def progress(self, value: int, maximum: int) -> None:
        await self.standin.send(
            self.client,
            "progress",
            {"value": value, "max": maximum, "prompt_id": self.prompt_id, "node": self.node},
        )

    async def drop_socket(self) -> None:
        socket = self.standin.sockets.pop(self.client or "", None)
        if socket is not None:
            await socket.close()


def _now() -> int:
    return int(time.time() * 1000)


def _order(prompt: dict[str, Any]) -> list[str]:
    """Nodes in dependency order (every node here leads to an output)."""
    done: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in done:
            return
        for value in prompt[node_id]["inputs"].values():
            if isinstance(value, list):
                visit(str(value[0]))
        done.append(node_id)

    for node_id in sorted(prompt, key=lambda key: int(key) if key.isdigit() else key):
        visit(node_id)
    return done


def _signature(prompt: dict[str, Any], node_id: str) -> str:
    node = prompt[node_id]
    parts = {
        name: _signature(prompt, str(value[0])) if isinstance(value, list) else value
        for name, value in sorted(node["inputs"].items())
    }
    return hashlib.sha256(
        json.dumps([node["class_type"], parts], sort_keys=True).encode()
    ).hexdigest()


def _outputs(prompt: dict[str, Any], classes: dict[str, NodeClass]) -> list[str]:
    return [node_id for node_id, node in prompt.items() if classes[node["class_type"]].output_node]


def app(standin: StandIn) -> Starlette:
    async def post_prompt(request: Request) -> Response:
        body = await request.json()
        prompt = body.get("prompt")
        problem = standin.validate(prompt)
        if problem is not None:
            return JSONResponse(problem, status_code=400)
        number = standin.counter = standin.counter + 1
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        standin.queue.append(Queued(number, prompt_id, prompt, body.get("client_id")))
        standin.wakeup.set()
        await standin.broadcast_status()
        return JSONResponse({"prompt_id": prompt_id, "number": number, "node_errors": {}})

    async def get_history(request: Request) -> Response:
        prompt_id = request.path_params["prompt_id"]
        found = standin.history.get(prompt_id)
        return JSONResponse({prompt_id: found} if found else {})

    async def view(request: Request) -> Response:
        params = request.query_params
        if params.get("type", "output") not in ("output", "input", "temp") or "/" in params.get(
            "filename", "/"
        ):
            return Response(status_code=400)
        path = (
            standin.folder
            / params.get("type", "output")
            / params.get("subfolder", "")
            / params["filename"]
        )
        if not path.is_file():
            return Response(status_code=404)
        return Response(path.read_bytes(), media_type="image/png")

    async def upload_image(request: Request) -> Response:
        form = await request.form()
        upload = form["image"]
        assert not isinstance(upload, str)
        data = await upload.read()
        name = str(upload.filename)
        (standin.folder / "input" / name).write_bytes(data)
        return JSONResponse(
            {"name": name, "subfolder": str(form.get("subfolder", "")), "type": "input"}
        )

    async def interrupt(request: Request) -> Response:
        body = await request.body()
        wanted = json.loads(body).get("prompt_id") if body else None
        running = standin.running
        if running is not None and (wanted is None or wanted == running.prompt_id):
            standin.interrupts += 1
            standin.interrupted = True
        return Response(status_code=200)

    async def get_queue(request: Request) -> Response:
        def row(item: Queued) -> list[Any]:
            return [item.number, item.prompt_id, item.prompt, {"client_id": item.client_id}, []]

        return JSONResponse(
            {
                "queue_running": [row(standin.running)] if standin.running else [],
                "queue_pending": [row(item) for item in standin.queue],
            }
        )

    async def post_queue(request: Request) -> Response:
        body = await request.json()
        if body.get("clear"):
            standin.queue.clear()
        for prompt_id in body.get("delete", []):
            standin.deleted.append(prompt_id)
            standin.queue[:] = [item for item in standin.queue if item.prompt_id != prompt_id]
        return Response(status_code=200)

    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        client_id = socket.query_params.get("clientId") or uuid.uuid4().hex
        standin.sockets[client_id] = socket
        await standin.broadcast_status()
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            if standin.sockets.get(client_id) is socket:
                del standin.sockets[client_id]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        worker = asyncio.create_task(standin.worker())
        yield
        worker.cancel()

    return Starlette(
        routes=[
            Route("/prompt", post_prompt, methods=["POST"]),
            Route("/history/{prompt_id}", get_history),
            Route("/view", view),
            Route("/upload/image", upload_image, methods=["POST"]),
            Route("/interrupt", interrupt, methods=["POST"]),
            Route("/queue", get_queue, methods=["GET"]),
            Route("/queue", post_queue, methods=["POST"]),
            WebSocketRoute("/ws", ws),
        ],
        lifespan=lifespan,
    )


def serve_in_thread(folder: Path, port: int) -> tuple[StandIn, uvicorn.Server]:
    standin = StandIn(folder)
    config = uvicorn.Config(
        app(standin), host="127.0.0.1", port=port, log_level="error", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return standin, server

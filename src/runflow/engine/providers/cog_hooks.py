"""The receiver of Cog's prediction webhooks, inside the worker that runs the predictions.

The Cog server (its Rust `coglet` server, as `cog` 0.17+ ships it) answers an async
prediction at once and then reports on it only by webhook: it has no `GET /predictions/{id}`
to poll. So the worker listens itself: a small HTTP server on this process's loop, started
with the first Cog run, at `RUNFLOW_COG_WEBHOOK_BIND` (default `127.0.0.1:0`, a free port on
loopback: right when the Cog servers run on this machine) and advertised to them as
`RUNFLOW_COG_WEBHOOK_URL` (default: the bound address). The path holds a random token of
this process, so only whom it was given to can report on its predictions.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import structlog
import uvicorn

log = structlog.get_logger(__name__)

Prediction = dict[str, Any]


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the process's signals alone (they belong to `serve` or
    `worker`) and says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class WebhookReceiver:
    def __init__(self, bind: str, public_url: str | None) -> None:
        host, _, port = bind.rpartition(":")
        self._host, self._port = host or "127.0.0.1", int(port or 0)
        self._public_url = public_url.rstrip("/") if public_url else None
        self._token = secrets.token_urlsafe(16)
        self._handlers: dict[str, Callable[[Prediction], None]] = {}
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._base: str | None = None
        self._starting = asyncio.Lock()

    async def url_for(self, prediction_id: str, handler: Callable[[Prediction], None]) -> str:
        """The webhook URL of a prediction; its reports go to `handler`."""
        await self._start()
        self._handlers[prediction_id] = handler
        return f"{self._base}/cog/{self._token}/{prediction_id}"

    def forget(self, prediction_id: str) -> None:
        self._handlers.pop(prediction_id, None)

    async def close(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)

    async def _start(self) -> None:
        async with self._starting:
            if self._server is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._host, self._port))
            host, port = listener.getsockname()[:2]
            self._base = self._public_url or f"http://{host}:{port}"
            config = uvicorn.Config(
                self._app,
                interface="asgi3",
                lifespan="off",
                log_level="warning",
                access_log=False,
            )
            self._server = _Server(config)
            self._task = asyncio.create_task(
                self._server.serve(sockets=[listener]), name="runflow-cog-webhooks"
            )
            ready = asyncio.create_task(self._server.ready.wait())
            await asyncio.wait((ready, self._task), return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            if self._task.done():
                self._task.result()  # startup failed: say why
            log.info("cog_webhooks_listening", url=self._base)

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status = self._deliver(scope["path"], body)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def _deliver(self, path: str, body: bytes) -> int:
        parts = path.strip("/").split("/")
        if (
            len(parts) != 3
            or parts[0] != "cog"
            or not secrets.compare_digest(parts[1], self._token)
        ):
            return 404
        handler = self._handlers.get(parts[2])
        if handler is None:
            return 200  # a report after the run ended (a retry's late twin): nothing to do
        try:
            prediction = orjson.loads(body)
        except orjson.JSONDecodeError:
            log.warning("cog_webhook_not_json", prediction_id=parts[2])
            return 400
        if not isinstance(prediction, dict):
            return 400
        handler(prediction)
        return 200

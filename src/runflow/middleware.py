"""ASGI middleware: request body cap, and structured access logs and HTTP metrics with a
request id."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runflow.errors import PayloadTooLarge, error_json
from runflow.metrics import instruments as metrics

log = structlog.get_logger("runflow.access")

# Bodies these routes read as a stream under their own, larger cap (the `PUT` of a media
# upload, up to RUNFLOW_MEDIA_MAX_BYTES): neither buffered nor held to `max_bytes` here.
STREAMED_BODY_PATHS = re.compile(r"^/v1/media/uploads/[^/]+/content$")


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, declared or streamed.

    The body is read before the app sees it, so a chunked upload that grows past the cap
    is refused without the app parsing any of it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or STREAMED_BODY_PATHS.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLarge(f"The request body exceeds {self.max_bytes} bytes.")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_json(too_large)(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await error_json(too_large)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class AccessLog:
    """One structured log line and one HTTP metric per request, and an `X-Request-Id` on
    every response (the caller's, when it sent one), which every log line of the request
    carries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(seconds * 1000, 2),
                request_id=request_id,
            )
            metrics.http_request(scope["method"], _route_of(scope), status, seconds)


def _route_of(scope: Scope) -> str:
    """The route's template (`/v1/batches/{batch_id}`), never the path itself: one label
    value per route, however many ids are asked for."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"

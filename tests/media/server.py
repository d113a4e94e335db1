"""A real https server on loopback that serves what a test scripts: files, redirects, errors,
and a body that never ends. Its certificate comes from a test CA (`trustme`) that only
Runflow's `RUNFLOW_MEDIA_FETCH_CA_BUNDLE` trusts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
import uvicorn

from tests.callbacks.receiver import free_port

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class LocalCA:
    """A CA bundle file and a server certificate (for 127.0.0.1) signed by it."""

    ca_path: Path
    cert_path: Path
    key_path: Path

    @classmethod
    def create(cls, directory: Path) -> LocalCA:
        ca = trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost")
        paths = cls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
        ca.cert_pem.write_to_path(str(paths.ca_path))
        server.cert_chain_pems[0].write_to_path(str(paths.cert_path))
        server.private_key_pem.write_to_path(str(paths.key_path))
        return paths


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    endless: bool = False  # send `body`, then never finish the response


class MediaServer:
    def __init__(self, tls: LocalCA) -> None:
        self.tls = tls
        self.port = free_port()
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._release = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def file(
        self,
        path: str,
        body: bytes,
        content_type: str = "image/png",
        headers: dict[str, str] | None = None,
    ) -> str:
        self.routes[path] = Route(
            body=body, headers={"content-type": content_type, **(headers or {})}
        )
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = Route(status=status, headers={"location": location})
        return self.url(path)

    def endless(self, path: str) -> str:
        self.routes[path] = Route(body=b"\x89PNG\r\n\x1a\n", endless=True)
        return self.url(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.requests.append(scope["path"])
        route = self.routes.get(scope["path"], Route(status=404, body=b"not found"))
        headers = [(k.encode(), v.encode()) for k, v in route.headers.items()]
        await send({"type": "http.response.start", "status": route.status, "headers": headers})
        await send({"type": "http.response.body", "body": route.body, "more_body": route.endless})
        if route.endless:
            # Hold the response open until the server stops: the client must give up first.
            await self._release.wait()
            await send({"type": "http.response.body", "body": b""})

    async def start(self) -> None:
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=self.port,
            ssl_certfile=str(self.tls.cert_path),
            ssl_keyfile=str(self.tls.key_path),
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        deadline = asyncio.get_running_loop().time() + 10
        while not self._server.started:
            if self._task.done():
                self._task.result()
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("the test media server did not start within 10 s")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._release.set()
        self._server.should_exit = True
        self._server.force_exit = True
        await self._task

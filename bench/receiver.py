"""A callback receiver for the benchmarks: uvicorn on loopback, in a thread of the bench process.

It records when each batch's first callback arrived and how long after the batch ended
(`completed_at` in the payload). Paths under `/hang` answer only after 60 s, standing for a
receiver that stopped responding.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime

import uvicorn

from bench.processes import free_port


class CallbackReceiver:
    def __init__(self, expected: int) -> None:
        """`expected`: how many batches' callbacks (outside `/hang`) set `all_arrived`."""
        self.expected = expected
        self.port = free_port()
        self.arrivals: dict[str, float] = {}  # batch id → arrival (epoch seconds)
        self.delays: list[float] = []  # arrival - batch completed_at
        self.hung = 0
        self.all_arrived = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        arrived = time.time()
        if scope["path"].startswith("/hang"):
            self.hung += 1
            await asyncio.sleep(60)
        else:
            payload = json.loads(body)
            if payload["batch_id"] not in self.arrivals:
                self.arrivals[payload["batch_id"]] = arrived
                ended = datetime.fromisoformat(payload["completed_at"]).timestamp()
                self.delays.append(arrived - ended)
                if len(self.arrivals) == self.expected:
                    self.all_arrived.set()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def serve_in_thread(self) -> None:
        serve_in_thread(self, self.port)


async def read_body(receive) -> bytes:  # type: ignore[no-untyped-def]
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


def loopback_server(app, port: int) -> uvicorn.Server:  # type: ignore[no-untyped-def]
    """Uvicorn for a bench receiver: loopback, quiet, a deep backlog."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="error",
        access_log=False,
        backlog=4096,
    )
    return uvicorn.Server(config)


def serve_in_thread(app, port: int) -> None:  # type: ignore[no-untyped-def]
    """Uvicorn on loopback in a daemon thread of this process; returns once it listens."""
    server = loopback_server(app, port)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)

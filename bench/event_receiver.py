"""A webhook endpoint for the benchmarks, in a process of its own: answers 204 at once and
notes when each event arrived, and when each `batch.succeeded` event's batch ended.

Its own process, because in the bench's it would share one interpreter lock with the clients
that create S1's batches and the receiver of its callbacks: every event it took would hold them
up, and S1 with an endpoint would measure the bench as much as Runflow. A customer's endpoint
is another program (usually on another machine); here it still shares the two cores.

The bench drives it over HTTP: `POST /reset`, and long polls that answer once the first event,
or `n` of them, arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bench.processes import free_port
from bench.receiver import loopback_server, read_body


@dataclass(frozen=True)
class Arrivals:
    times: list[float]  # epoch seconds, one per event received
    batch_ends: list[float]  # `completed_at` of each `batch.succeeded` event's batch


class EventReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self._process: multiprocessing.process.BaseProcess | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        assert self._process.pid is not None
        return self._process.pid

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def start(self) -> None:
        """Start the receiver's process; returns once it answers."""
        context = multiprocessing.get_context("spawn")  # the bench has threads: no fork
        self._process = context.Process(target=_serve, args=(self.port,), daemon=True)
        self._process.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._control("post", "/reset")
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the event receiver did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(10)

    def reset(self) -> None:
        self._control("post", "/reset")

    def first_arrival(self, timeout_s: float) -> float:
        """When the first event since the last reset arrived (waiting for it)."""
        first: float | None = self._control("get", "/first", timeout_s)["first"]
        if first is None:
            raise RuntimeError(f"no event arrived within {timeout_s:g} s")
        return first

    def wait_for(self, expected: int, timeout_s: float) -> Arrivals:
        """The arrivals once `expected` events arrived; RuntimeError after `timeout_s`."""
        answer = self._control("get", "/arrivals", timeout_s, n=expected)
        if len(answer["times"]) < expected:
            raise RuntimeError(f"only {len(answer['times'])} of {expected} events arrived")
        return Arrivals(answer["times"], answer["batch_ends"])

    def _control(self, method: str, path: str, timeout_s: float = 5, n: int = 1) -> Any:
        url = f"http://127.0.0.1:{self.port}/control{path}"
        params = {"timeout": timeout_s, "n": n}
        response = httpx.request(method, url, params=params, timeout=timeout_s + 10)
        response.raise_for_status()
        return response.json()


class _Endpoint:
    """The ASGI app of the receiver's process."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.batch_ends: list[float] = []
        self.arrived = asyncio.Condition()

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if scope["path"].startswith("/control/"):
            answer = await self._control(scope["path"], _query(scope))
            await _respond(send, 200, json.dumps(answer).encode())
            return
        self.times.append(time.time())
        if b'"batch.succeeded"' in body[:40]:  # parse only the events whose end is noted
            ended = json.loads(body)["data"]["completed_at"]
            self.batch_ends.append(datetime.fromisoformat(ended).timestamp())
        async with self.arrived:
            self.arrived.notify_all()
        await _respond(send, 204, b"")

    async def _control(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        timeout = float(query.get("timeout", "5"))
        if path == "/control/reset":
            self.times.clear()
            self.batch_ends.clear()
            return {}
        wanted = 1 if path == "/control/first" else int(query.get("n", "1"))
        async with self.arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.arrived.wait_for(lambda: len(self.times) >= wanted), timeout
                )
        if path == "/control/first":
            return {"first": self.times[0] if self.times else None}
        return {"times": self.times, "batch_ends": self.batch_ends}


def _query(scope: dict[str, Any]) -> dict[str, str]:
    pairs = (pair.partition("=") for pair in scope["query_string"].decode().split("&") if pair)
    return {name: value for name, _, value in pairs}


async def _respond(send, status: int, body: bytes) -> None:  # type: ignore[no-untyped-def]
    headers = [(b"content-type", b"application/json")] if body else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _serve(port: int) -> None:
    loopback_server(_Endpoint(), port).run()

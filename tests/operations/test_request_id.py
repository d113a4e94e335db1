"""`X-Request-Id` (DESIGN §20): on every response, the caller's when it sent one, and on every
log line written while its request was served — read from a real `runflow serve`'s stderr."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.served import BOOTSTRAP_KEY, Server, running_server

AUTH = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # No engine: the batch stays queued, and cancelling it ends it inside the request.
    with running_server(tmp_path_factory, worker_concurrency="0") as running:
        yield running


def log_lines(server: Server) -> list[dict[str, Any]]:
    lines = []
    for line in server.stderr().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_the_callers_request_id_is_answered_and_on_every_log_line_of_the_request(
    server: Server,
) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    with server.client(**AUTH) as http:
        created = http.post("/v1/models/runflow/echo/batches", json={"input": [{"message": "x"}]})
        assert created.status_code == 201, created.text
        cancelled = http.post(
            f"/v1/batches/{created.json()['id']}/cancel", headers={"X-Request-Id": request_id}
        )
    assert cancelled.status_code in (200, 202), cancelled.text
    assert cancelled.headers["x-request-id"] == request_id

    def tagged() -> list[dict[str, Any]]:
        return [line for line in log_lines(server) if line.get("request_id") == request_id]

    # The access log's line is written once the response has gone: wait for it.
    deadline = time.monotonic() + 60
    while "request" not in {line["event"] for line in tagged()}:
        assert time.monotonic() < deadline, tagged()
        time.sleep(0.05)
    # The batch's end is logged by the code the request ran, not by the access log.
    assert {line["event"] for line in tagged()} == {"batch_finished", "request"}, tagged()


def test_without_one_each_response_gets_its_own(server: Server) -> None:
    with server.client() as http:
        first = http.get("/v1/status/health")
        second = http.get("/v1/no-such-route")
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    for request_id in ids:
        assert uuid.UUID(request_id)
    assert second.json()["code"] == "NOT_FOUND"


def test_log_lines_outside_requests_carry_no_request_id(server: Server) -> None:
    started = [line for line in log_lines(server) if line["event"] == "started"]
    assert started
    assert all("request_id" not in line for line in started)

"""The README promise, for real: `runflow serve` on a fresh data dir, driven over TCP.

SQLite only: this is the embedded, zero-configuration path a newcomer takes.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from runflow.db.migrate import head_revision
from tests.served import (
    BOOTSTRAP_KEY,
    Server,
    running_server,
    start_server,
    stop_server,
    wait_until_ready,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory) as running:
        yield running


def rfc3339(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed


def create_echo_batch(server: Server) -> dict[str, Any]:
    body = {
        "input": [
            {"message": "one", "client_ref": "a"},
            {"message": "two", "client_ref": "b"},
            {"message": "three"},
        ],
        "metadata": {"project": "e2e"},
    }
    with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
        response = http.post("/v1/models/runflow/echo/batches", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_serve_becomes_ready_at_the_head_schema_revision(server: Server) -> None:
    with server.client() as http:
        response = http.get("/v1/status/ready")
    assert response.status_code == 200
    assert response.json()["schema_revision"] == head_revision()


def test_serve_creates_the_sqlite_database_in_the_data_dir(server: Server) -> None:
    database = server.data_dir / "runflow.db"
    assert database.is_file()
    assert database.read_bytes()[:16] == b"SQLite format 3\x00"


def test_serve_answers_health_over_tcp(server: Server) -> None:
    with server.client() as http:
        response = http.get("/v1/status/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_serve_accepts_the_bootstrap_key(server: Server) -> None:
    with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
        response = http.get("/v1/account")
    assert response.status_code == 200, response.text
    assert response.json()["org"]["slug"] == "default"
    assert response.json()["role"] == "owner"


def test_serve_refuses_requests_without_a_key(server: Server) -> None:
    with server.client() as http:
        response = http.get("/v1/models")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_serve_creates_an_echo_batch_of_three_items(server: Server) -> None:
    created = create_echo_batch(server)
    uuid.UUID(created["id"])
    assert created["target_type"] == "model"
    assert created["items_total"] == 3
    assert created["items_succeeded"] + created["items_failed"] + created["items_cancelled"] <= 3
    assert [item["sequence_index"] for item in created["items"]] == [0, 1, 2]
    assert [item["client_ref"] for item in created["items"]] == ["a", "b", None]
    assert created["metadata"] == {"project": "e2e"}
    rfc3339(created["created_at"])


def test_serve_reads_back_the_batch_with_the_contract_fields(server: Server) -> None:
    created = create_echo_batch(server)
    with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
        response = http.get(f"/v1/batches/{created['id']}")
    assert response.status_code == 200, response.text
    batch = response.json()

    assert batch["id"] == created["id"]
    assert batch["target_id"] == created["target_id"]
    uuid.UUID(batch["org_id"])
    assert batch["items_total"] == 3
    assert batch["status_code"] in {
        "queued",
        "running",
        "succeeded",
        "partially_succeeded",
        "failed",
        "cancelled",
    }
    counted = batch["items_succeeded"] + batch["items_failed"] + batch["items_cancelled"]
    assert counted <= batch["items_total"]
    assert batch["metadata"] == {"project": "e2e"}
    assert batch["callback_url"] is None
    assert rfc3339(batch["created_at"]) == rfc3339(created["created_at"])
    assert batch["cost"] is None or isinstance(batch["cost"], str)
    handles = [
        (item["id"], item["sequence_index"], item["run_id"], item["client_ref"])
        for item in batch["items"]
    ]
    assert handles == [
        (item["id"], item["sequence_index"], item["run_id"], item["client_ref"])
        for item in created["items"]
    ]
    for item in batch["items"]:
        assert item["status_code"] in {"queued", "running", "succeeded", "failed", "cancelled"}


def test_serve_logs_requests_as_json_lines_on_stderr(server: Server) -> None:
    with server.client(**{"X-Request-Id": "e2e-log-probe"}) as http:
        assert http.get("/v1/status/health").status_code == 200

    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        lines = [line for line in server.stderr().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]
        if any(record.get("request_id") == "e2e-log-probe" for record in records):
            break
        time.sleep(0.05)
    assert all(isinstance(record, dict) for record in records), lines
    requests = [record for record in records if record.get("event") == "request"]
    probe = [record for record in requests if record.get("request_id") == "e2e-log-probe"]
    assert len(probe) == 1, lines
    assert probe[0]["path"] == "/v1/status/health"
    assert probe[0]["method"] == "GET"
    assert probe[0]["status"] == 200


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    data_dir, logs_dir = tmp_path / "data", tmp_path / "logs"
    logs_dir.mkdir()
    running = start_server(data_dir, logs_dir)
    try:
        wait_until_ready(running)
    finally:
        returncode = stop_server(running)
    # uvicorn re-raises the signal once it has shut down gracefully, so -SIGTERM is clean too.
    assert returncode in (0, -signal.SIGTERM), running.stderr()
    records = [json.loads(line) for line in running.stderr().splitlines() if line.strip()]
    assert "Application shutdown complete." in [record["event"] for record in records]
    assert not [record for record in records if record["level"] in ("error", "critical")]


def test_serve_keeps_data_across_a_restart(tmp_path: Path) -> None:
    data_dir, logs_dir = tmp_path / "data", tmp_path / "logs"
    logs_dir.mkdir()
    first = start_server(data_dir, logs_dir)
    try:
        wait_until_ready(first)
        created = create_echo_batch(first)
    finally:
        stop_server(first)

    second = start_server(data_dir, logs_dir)
    try:
        wait_until_ready(second)
        with second.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
            response = http.get(f"/v1/batches/{created['id']}")
    finally:
        stop_server(second)
    assert response.status_code == 200, response.text
    assert response.json()["items_total"] == 3

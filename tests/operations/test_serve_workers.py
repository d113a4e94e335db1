"""`runflow serve --workers N` (README "Operations"): N HTTP processes and one engine process
on PostgreSQL, whose `/metrics` adds up every process; refused on SQLite with the reason."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.served import BOOTSTRAP_KEY, RUNFLOW, start_server, stop_server, wait_until_ready

AUTH = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}


def counter(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_several_http_processes_serve_one_engine_and_one_metrics(
    tmp_path: Path, postgres_url: str
) -> None:
    (tmp_path / "logs").mkdir()
    server = start_server(
        tmp_path / "data",
        tmp_path / "logs",
        arguments=["--workers", "2"],
        database_url=postgres_url,
    )
    try:
        wait_until_ready(server)
        route = {"method": "POST", "route": "/v1/models/{owner}/{slug}/batches", "status": "201"}
        with server.client(**AUTH) as http:
            created = [
                http.post("/v1/models/runflow/echo/batches", json={"input": [{"message": "m"}]})
                for _ in range(6)
            ]
            assert all(response.status_code == 201 for response in created)
            deadline = time.monotonic() + 120
            while True:
                text = http.get("/metrics").text
                finished = counter(
                    text, "runflow_runs_finished_total", model="runflow/echo", status="succeeded"
                )
                # Six creates over keep-alive and fresh connections, whichever process took
                # each, and six runs ended by the engine process: all in one scrape.
                if finished == 6 and counter(text, "runflow_http_requests_total", **route) == 6:
                    break
                assert time.monotonic() < deadline, text
                time.sleep(0.2)
    finally:
        exit_code = stop_server(server)
    assert exit_code == 0, server.stderr()


def test_sqlite_refuses_several_http_processes(tmp_path: Path) -> None:
    finished = subprocess.run(
        [str(RUNFLOW), "serve", "--workers", "2"],
        env={"RUNFLOW_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2
    assert "--workers needs PostgreSQL" in finished.stderr
    assert not (tmp_path / "runflow.db").exists()

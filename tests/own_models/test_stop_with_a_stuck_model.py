"""`SIGTERM` ends `runflow serve` though a model's thread never returns (DESIGN §20).

A sync model that ignores `context.cancelled` keeps its thread after its run timed out; the
process must exit all the same, within its grace period, and not wait on that thread for ever.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.served import BOOTSTRAP_KEY, start_server, stop_server, wait_until_ready

ENDLESS = """\
import time


def run(inputs, context):
    while True:  # never looks at context.cancelled, never returns
        time.sleep(0.05)
"""

MODELS = """\
[[models]]
owner = "default"  # the bootstrap key's org
slug = "endless"
name = "Never returns"
provider = "python"
entry = "endless:run"
timeout_s = 1
max_retries = 0
"""


def test_sigterm_ends_the_process_though_a_model_thread_never_returns(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    models = tmp_path_factory.mktemp("models")
    (models / "endless.py").write_text(ENDLESS)
    (models / "models.toml").write_text(MODELS)
    server = start_server(
        tmp_path_factory.mktemp("data"),
        tmp_path_factory.mktemp("logs"),
        models=str(Path(models) / "models.toml"),
    )
    try:
        wait_until_ready(server)
        with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
            created = http.post("/v1/models/default/endless/runs", json={"input": {}})
            assert created.status_code == 201, created.text
            run_url = f"/v1/runs/{created.json()['id']}"
            deadline = time.monotonic() + 60
            while (run := http.get(run_url).json())["status_code"] != "failed":
                assert time.monotonic() < deadline, run
                time.sleep(0.1)
        assert run["failure_code"] == "TIMEOUT"
    finally:
        # Raises (after a kill) if the process has not exited within the stop deadline.
        returncode = stop_server(server)
    assert returncode == 0, server.stderr()

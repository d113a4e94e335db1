"""A failing Python model, in a real `runflow serve`: the customer reads the message, the
operator reads the traceback in the service's log."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from tests.served import BOOTSTRAP_KEY, start_server, stop_server, wait_until_ready

MODELS = Path(__file__).parent / "models"

BROKEN = """\
[[models]]
owner = "default"   # the bootstrap key's org
slug = "broken"
name = "Always fails"
provider = "python"
entry = "failing:run"
"""


def test_the_traceback_goes_to_the_log_and_only_the_message_to_the_run(tmp_path: Path) -> None:
    shutil.copy(MODELS / "failing.py", tmp_path / "failing.py")
    (tmp_path / "models.toml").write_text(BROKEN)
    server = start_server(tmp_path / "data", tmp_path, models=str(tmp_path / "models.toml"))
    try:
        wait_until_ready(server)
        with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
            created = http.post("/v1/models/default/broken/runs", json={"input": {}})
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + 60
            run: dict[str, Any] = created.json()
            while run["status_code"] not in {"succeeded", "failed", "cancelled"}:
                assert time.monotonic() < deadline, run
                time.sleep(0.05)
                run = http.get(f"/v1/runs/{run['id']}").json()
    finally:
        stop_server(server)
    assert (run["failure_code"], run["failure_message"]) == (
        "MODEL_ERROR",
        "the weights file is missing",
    )
    log = server.stderr()
    assert "python_model_failed" in log
    assert "Traceback (most recent call last)" in log
    assert 'raise RuntimeError(\\"the weights file is missing\\")' in log or (
        'raise RuntimeError("the weights file is missing")' in log
    )

"""`runflow serve` and `runflow worker`, real processes, refuse to start on a bad models file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.served import BOOTSTRAP_KEY, RUNFLOW, start_server, stop_server, wait_until_ready

EXAMPLE = Path(__file__).parents[2] / "examples" / "vignette" / "models.toml"

BAD = """\
[[models]]
owner = "acme"
slug = "shout"
name = "Shout"
provider = "python"
entry = "shout:run"
[[models.inputs]]
name = "text"
variable_type_code = "strng"
"""


def runflow(command: str, data_dir: Path, models: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RUNFLOW_")}
    env |= {"RUNFLOW_DATA_DIR": str(data_dir), "RUNFLOW_MODELS": str(models)}
    return subprocess.run(
        [str(RUNFLOW), command, "--port", "1"] if command == "serve" else [str(RUNFLOW), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_bad_models_file_stops_the_start_with_its_message(command: str, tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text(BAD)
    finished = runflow(command, tmp_path / "data", models)
    assert finished.returncode != 0
    assert (
        f"{models}: model acme/shout: inputs[0].variable_type_code: 'strng' is not one of "
        "string, integer"
    ) in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "data" / "runflow.db").exists()  # refused before touching anything


def test_serve_starts_with_the_example_models_file(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", tmp_path, models=str(EXAMPLE))
    try:
        wait_until_ready(server)
        with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
            # The bootstrap key's org is not acme: the private model is not there for it.
            assert http.get("/v1/models/acme/vignette").status_code == 404
            assert http.get("/v1/models/runflow/echo").status_code == 200
    finally:
        stop_server(server)


def test_keys_create_beside_a_running_serve_leaves_its_own_models_available(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "data", tmp_path, models=str(EXAMPLE))
    try:
        wait_until_ready(server)
        # As the README does it: RUNFLOW_MODELS is set for serve only.
        env = {key: value for key, value in os.environ.items() if not key.startswith("RUNFLOW_")}
        env["RUNFLOW_DATA_DIR"] = str(tmp_path / "data")
        created = subprocess.run(
            [str(RUNFLOW), "keys", "create", "--org", "acme"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        key = created.stdout.strip()
        with server.client(Authorization=f"Bearer {key}") as http:
            model = http.get("/v1/models/acme/vignette")
        assert model.status_code == 200, model.text
        assert model.json()["availability_status"] == "available"
    finally:
        stop_server(server)

"""`rf` as a user runs it: a subprocess against a real server, its JSON output parsed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from runflow_sdk import Runflow

from tests.served import BOOTSTRAP_KEY, Server

RF = Path(sys.executable).parent / "rf"


def rf(
    server: Server, *args: str, stdin: str | None = None, key: str = BOOTSTRAP_KEY
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("RUNFLOW_")}
    env |= {"RUNFLOW_API_KEY": key, "RUNFLOW_BASE_URL": server.base_url}
    return subprocess.run(
        [str(RF), *args], input=stdin, env=env, capture_output=True, text=True, timeout=300
    )


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _lines(count: int, marker: str) -> str:
    return "".join(
        json.dumps({"message": f"line {i}", "client_ref": f"{marker}-{i:03d}"}) + "\n"
        for i in range(count)
    )


def _runs_with_prefix(client: Runflow, prefix: str) -> int:
    return sum(1 for _ in client.runs.list(q=f'client_ref = "{prefix}*"'))


def test_models_list_as_json(server: Server) -> None:
    models = ok(rf(server, "models", "list", "--format", "json"))
    assert {"echo", "txt2img", "img2video"} <= {model["slug"] for model in models}


def test_a_jsonl_of_250_lines_becomes_three_batches_and_waits(
    server: Server, tmp_path: Path, client: Runflow
) -> None:
    marker = uuid.uuid4().hex
    items = tmp_path / "items.jsonl"
    items.write_text(_lines(250, marker))

    batches = ok(rf(server, "batches", "create", "runflow/echo", "--input", str(items), "--wait"))

    assert [batch["items_total"] for batch in batches] == [100, 100, 50]
    assert {batch["status_code"] for batch in batches} == {"succeeded"}
    assert _runs_with_prefix(client, marker) == 250


def test_items_in_json_and_jsonl_with_a_filter(server: Server, client: Runflow) -> None:
    marker = uuid.uuid4().hex
    created = ok(
        rf(
            server,
            "batches",
            "create",
            "runflow/echo",
            "-i",
            "-",
            "--wait",
            stdin=_lines(5, marker),
        )
    )
    batch_id = created[0]["id"]

    as_json = ok(rf(server, "batches", "items", batch_id, "--format", "json"))
    as_jsonl = rf(
        server,
        "batches",
        "items",
        batch_id,
        "--q",
        f'client_ref = "{marker}-003"',
        "--format",
        "jsonl",
    )

    assert [row["client_ref"] for row in as_json] == [f"{marker}-{i:03d}" for i in range(5)]
    rows = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert [row["client_ref"] for row in rows] == [f"{marker}-003"]
    table = rf(server, "batches", "items", batch_id)
    assert table.returncode == 0
    assert f"{marker}-004" in table.stdout
    assert ok(rf(server, "batches", "get", batch_id))["items_succeeded"] == 5


def test_a_bad_line_is_named_and_nothing_is_sent(server: Server, client: Runflow) -> None:
    marker = uuid.uuid4().hex
    text = _lines(150, marker) + "{not json}\n"
    result = rf(server, "batches", "create", "runflow/echo", "-i", "-", stdin=text)
    assert result.returncode == 2
    assert "line 151" in result.stderr
    assert _runs_with_prefix(client, marker) == 0


def test_an_invalid_item_in_a_later_batch_creates_no_batch(server: Server, client: Runflow) -> None:
    marker = uuid.uuid4().hex
    text = _lines(120, marker) + json.dumps({"mesage": "typo"}) + "\n"
    result = rf(server, "batches", "create", "runflow/echo", "-i", "-", stdin=text)
    assert result.returncode == 1
    assert "VALIDATION_ERROR" in result.stderr
    assert "line 121: mesage" in result.stderr
    assert _runs_with_prefix(client, marker) == 0  # the first hundred were not sent either


def test_api_errors_exit_1_with_the_envelope_and_usage_errors_exit_2(server: Server) -> None:
    missing = rf(server, "batches", "get", str(uuid.uuid4()))
    assert missing.returncode == 1
    assert "NOT_FOUND" in missing.stderr
    wrong_key = rf(server, "models", "list", key="rf_wrong")
    assert wrong_key.returncode == 1
    assert "UNAUTHORIZED" in wrong_key.stderr
    assert rf(server, "batches", "create", "echo", "-i", "-", stdin="{}\n").returncode == 2
    assert rf(server, "batches", "frobnicate").returncode == 2
    assert rf(server, "batches", "create", "runflow/echo").returncode == 2  # no --input


def test_cancel_retry_and_runs(server: Server, client: Runflow) -> None:
    failing = "".join(json.dumps({"message": "x", "fail": i % 2 == 0}) + "\n" for i in range(4))
    batch = ok(rf(server, "batches", "create", "runflow/echo", "-i", "-", "--wait", stdin=failing))[
        0
    ]
    assert batch["items_failed"] == 2

    retried = ok(rf(server, "batches", "retry", batch["id"]))
    assert retried["items_total"] == 2
    slow = ok(
        rf(
            server,
            "batches",
            "create",
            "runflow/echo",
            "-i",
            "-",
            stdin='{"message": "s", "delay_ms": 30000}\n',
        )
    )[0]
    assert ok(rf(server, "batches", "cancel", slow["id"]))["id"] == slow["id"]
    assert client.batches.wait(slow["id"]).status_code == "cancelled"

    run_id = batch["items"][1]["run_id"]
    assert ok(rf(server, "runs", "get", run_id))["status_code"] == "succeeded"
    logs = ok(rf(server, "runs", "logs", run_id, "--format", "json"))
    assert isinstance(logs, list)
    rerun = ok(rf(server, "runs", "rerun", run_id, "--input", '{"message": "again"}', "--wait"))
    assert rerun["output"]["message"] == "again"
    listed = ok(rf(server, "batches", "list", "--limit", "2", "--format", "json"))
    assert len(listed) == 2


def test_media_upload_and_evaluation_of_a_file(server: Server, tmp_path: Path) -> None:
    from tests.sdk.test_client import _noise_png

    image = tmp_path / "noise.png"
    image.write_bytes(_noise_png(64))
    uploaded = ok(rf(server, "media", "upload", str(image), "--folder", "cli"))
    assert uploaded[0]["size_bytes"] == image.stat().st_size
    assert uploaded[0]["folder"] == "cli"

    evaluation = ok(rf(server, "evaluations", "create", str(image), "--min-score", "0.1"))
    assert evaluation["status_code"] == "succeeded"  # waited for
    assert isinstance(evaluation["passed"], bool)
    assert 0 <= evaluation["score"] <= 1
    assert isinstance(evaluation["issues"], list)
    again = ok(rf(server, "evaluations", "get", evaluation["id"]))
    assert (again["id"], again["score"]) == (evaluation["id"], evaluation["score"])
    queued = ok(rf(server, "evaluations", "create", uploaded[0]["id"], "--no-wait"))
    assert queued["media_id"] == uploaded[0]["id"]


def test_an_upload_refused_midway_still_prints_those_stored_before_it(
    server: Server, tmp_path: Path, client: Runflow
) -> None:
    from tests.sdk.test_client import _noise_png

    image = tmp_path / "first.png"
    image.write_bytes(_noise_png(32))
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    result = rf(server, "media", "upload", str(image), str(text), "--folder", "midway")
    assert result.returncode == 1
    (stored,) = json.loads(result.stdout)
    assert stored["folder"] == "midway"
    assert f"{text}: not uploaded" in result.stderr
    assert "VALIDATION_ERROR" in result.stderr
    assert [media.id for media in client.media.list(folder="midway")] == [uuid.UUID(stored["id"])]


@pytest.mark.parametrize("path", ["missing.png"])
def test_uploading_a_missing_file_is_a_usage_error(server: Server, path: str) -> None:
    assert rf(server, "media", "upload", path).returncode == 2


def test_download_saves_each_output(server: Server, tmp_path: Path) -> None:
    line = json.dumps({"prompt": "a red fox", "width": 64, "height": 64, "client_ref": "fox"})
    folder = tmp_path / "out"
    batches = ok(
        rf(
            server,
            "batches",
            "create",
            "runflow/txt2img",
            "-i",
            "-",
            "--wait",
            "--download",
            str(folder),
            stdin=line + "\n",
        )
    )
    saved = sorted((folder / batches[0]["id"]).iterdir())
    assert [path.name for path in saved] == ["000-fox-0.png"]
    assert saved[0].read_bytes().startswith(b"\x89PNG")

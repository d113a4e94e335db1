"""The README works for a newcomer: its first requests run, as written, against a fresh
`runflow serve`, and it points at nothing a clone of the repository does not have."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runflow.app import create_app
from tests.served import Server, running_server

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_KEY = "rf_local_dev_key"
README_BASE = "http://127.0.0.1:8000"


def first_requests() -> str:
    section = README.split("## First requests", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert match is not None, "no bash block under 'First requests'"
    return match.group(1)


def json_documents(text: str) -> list[Any]:
    """The JSON answers curl printed back to back (it adds no newline after a body)."""
    decoder, rest = json.JSONDecoder(), text.strip()
    documents: list[Any] = []
    while rest:
        document, end = decoder.raw_decode(rest)
        documents.append(document)
        rest = rest[end:].lstrip()
    return documents


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory, bootstrap_api_key=README_KEY) as running:
        yield running


def test_the_readme_names_no_path_outside_the_repository() -> None:
    assert "../" not in README
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (ROOT / target).exists(), target


def test_the_api_table_names_every_operation_path() -> None:
    """Each path of `/openapi.json` is in the README's API table: written out, or as
    `…/<tail>` in a row that writes out the path it continues."""
    table = README.split("## API", 1)[1].split("Every error has", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    missing = []
    for path in create_app().openapi()["paths"]:
        if any(path in row for row in rows):
            continue
        parts = path.split("/")
        abbreviated = [
            ("/".join(parts[:cut]), "…/" + "/".join(parts[cut:])) for cut in range(3, len(parts))
        ]
        if not any(head in row and tail in row for row in rows for head, tail in abbreviated):
            missing.append(path)
    assert not missing


def test_the_opening_says_how_to_pick_the_port() -> None:
    opening = README.split("## First requests", 1)[0]
    assert "--port" in opening
    assert "RUNFLOW_PORT" in opening


def test_the_first_requests_use_one_base_address() -> None:
    script = first_requests()
    assert script.count(README_BASE) == 1
    assert "localhost" not in script


def test_the_first_requests_run_as_written(server: Server) -> None:
    script = first_requests().replace(README_BASE, server.base_url)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = json_documents(result.stdout)
    assert not [a for a in answers if isinstance(a, dict) and "code" in a and "message" in a]
    # The cancel example answers with the batch, not a 409: it was still running.
    cancelled = answers[-1]
    assert cancelled["status_code"] in ("cancelled", "running"), cancelled


def _python_block() -> str:
    section = README.split("## First requests", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "no Python block under 'First requests'"
    return match.group(1)


def test_the_sdk_example_runs_as_written(server: Server) -> None:
    """The README's Python example, against the server, with only its address changed."""
    code = _python_block().replace(README_BASE, server.base_url)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "2/2 done" in result.stdout
    assert "a {'message': 'hello'}" in result.stdout

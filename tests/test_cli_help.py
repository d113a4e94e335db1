"""`runflow --help` and a mistyped command answer without loading the service.

The command loads the database layer, the web stack and the engine only for the command that
runs: importing them took about a second, paid by every `--help` and every usage error.
"""

from __future__ import annotations

import subprocess
import sys

from tests.cli import RUNFLOW

# What only a command that runs should load.
_SERVICE_MODULES = ("sqlalchemy", "fastapi", "aiohttp", "alembic", "runflow.app", "runflow.engine")

_PROBE = """
import sys
from typer.main import get_command

import runflow.cli

get_command(runflow.cli.app)  # every command's options built, as for --help
print(",".join(name for name in {modules!r} if name in sys.modules))
"""


def test_the_command_line_is_built_without_loading_the_service() -> None:
    probe = _PROBE.format(modules=_SERVICE_MODULES)
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == ""


def test_help_lists_every_command() -> None:
    shown = subprocess.run(
        [str(RUNFLOW), "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for command in ("serve", "worker", "migrate", "workers", "keys", "credits"):
        assert command in shown


def test_an_unknown_option_is_a_usage_error() -> None:
    refused = subprocess.run(
        [str(RUNFLOW), "credits", "grant", "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "No such option" in refused.stderr

"""The `runflow` command as an operator runs it: a subprocess on a data directory."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

RUNFLOW = Path(sys.executable).parent / "runflow"


async def run_runflow(data_dir: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """`runflow ARGS` with `RUNFLOW_DATA_DIR` and `env` as its only RUNFLOW_* variables;
    returns the exit code, stdout and stderr."""
    given = {name: value for name, value in os.environ.items() if not name.startswith("RUNFLOW_")}
    given |= {"RUNFLOW_DATA_DIR": str(data_dir), **env}
    process = await asyncio.create_subprocess_exec(
        str(RUNFLOW),
        *args,
        env=given,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()

"""A Runflow deployment for a benchmark: `runflow serve` on SQLite, or on PostgreSQL one API
process plus one `runflow worker`, on a fresh database that is dropped afterwards."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.processes import free_port, start, stop, wait_ready

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Deployment:
    base_url: str
    api_key: str
    processes: list[subprocess.Popen[bytes]]  # the API process first
    # The RUNFLOW_* variables of its processes: a `runflow` command with them acts on it.
    env: dict[str, str]


async def _create_database() -> str:
    name = f"runflow_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _drop_database(url: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await connection.close()


@contextmanager
def deployment(
    mode: str,
    settings: dict[str, str] | None = None,
    *,
    http_processes: int = 1,
    engine: bool = True,
    sender: str = "worker",
) -> Iterator[Deployment]:
    """`settings`: extra `RUNFLOW_*` variables for every process; `http_processes` > 1 (on
    PostgreSQL) serves the API with `runflow serve --workers N`; `engine=False` runs no
    engine at all (the API alone: runs stay queued); `sender="api"` (on PostgreSQL) sends
    callbacks and events from the API process instead of the worker (`RUNFLOW_SENDER`)."""
    data_dir = Path(tempfile.mkdtemp(prefix="runflow-bench-"))
    port = free_port()
    api_key = "rf_bench_" + uuid.uuid4().hex
    env = {
        "RUNFLOW_DATA_DIR": str(data_dir),
        "RUNFLOW_BOOTSTRAP_API_KEY": api_key,
        "RUNFLOW_LOG_LEVEL": "WARNING",
        "RUNFLOW_PORT": str(port),
        **(settings or {}),
    }
    processes: list[subprocess.Popen[bytes]] = []
    if mode == "postgres":
        env["RUNFLOW_DATABASE_URL"] = asyncio.run(_create_database())
        start(["migrate"], env, data_dir / "migrate.log").wait()
        api_env = {**env, "RUNFLOW_WORKER_CONCURRENCY": "0"}
        worker_env = dict(env)
        if sender == "api":
            api_env["RUNFLOW_SENDER"], worker_env["RUNFLOW_SENDER"] = "on", "off"
        serve = ["serve", "--workers", str(http_processes)] if http_processes > 1 else ["serve"]
        processes.append(start(serve, api_env, data_dir / "api.log"))
        if engine:
            processes.append(start(["worker"], worker_env, data_dir / "worker.log"))
    else:
        serve_env = env if engine else {**env, "RUNFLOW_WORKER_CONCURRENCY": "0"}
        processes.append(start(["serve"], serve_env, data_dir / "serve.log"))
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url)
        yield Deployment(base_url, api_key, processes, env)
    finally:
        for process in processes:
            stop(process)
        if mode == "postgres":
            asyncio.run(_drop_database(env["RUNFLOW_DATABASE_URL"]))

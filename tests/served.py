"""A real `runflow serve` process for tests that drive the service as a customer does: over
TCP, started from the installed command, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BOOTSTRAP_KEY = "rf_e2e_test_key_0123456789"
RUNFLOW = Path(sys.executable).parent / "runflow"
START_DEADLINE_S = 60.0
STOP_DEADLINE_S = 15.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10.0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(
    data_dir: Path, logs_dir: Path, *, arguments: Sequence[str] = (), **settings: str
) -> Server:
    """`settings` become `RUNFLOW_*` variables (`database_url=…` → `RUNFLOW_DATABASE_URL`);
    `arguments` are added to `runflow serve`."""
    return _launch(data_dir, logs_dir, free_port(), settings, arguments)


def restart_server(stopped: Server, **settings: str) -> Server:
    """The same service again: its data directory, its address."""
    port = int(stopped.base_url.rsplit(":", 1)[1])
    return _launch(stopped.data_dir, stopped.stderr_path.parent, port, settings)


def _launch(
    data_dir: Path,
    logs_dir: Path,
    port: int,
    settings: dict[str, str],
    arguments: Sequence[str] = (),
) -> Server:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RUNFLOW_")}
    env |= {"RUNFLOW_DATA_DIR": str(data_dir), "RUNFLOW_BOOTSTRAP_API_KEY": BOOTSTRAP_KEY}
    # Runs still going at the end of a test are handed back well within STOP_DEADLINE_S.
    env |= {"RUNFLOW_SHUTDOWN_GRACE_S": "5"}
    env |= {f"RUNFLOW_{key.upper()}": value for key, value in settings.items()}
    stdout_path, stderr_path = logs_dir / "stdout.log", logs_dir / "stderr.log"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [str(RUNFLOW), "serve", "--port", str(port), *arguments],
            env=env,
            cwd=logs_dir,
            stdout=stdout,
            stderr=stderr,
        )
    return Server(process, f"http://127.0.0.1:{port}", data_dir, stderr_path)


def wait_until_ready(server: Server) -> httpx.Response:
    """Poll readiness until it answers 200; fail at the deadline or when the process dies."""
    deadline = time.monotonic() + START_DEADLINE_S
    last: str = "no answer yet"
    with server.client() as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(
                    f"runflow serve exited with {server.process.returncode}:\n{server.stderr()}"
                )
            try:
                response = http.get("/v1/status/ready", timeout=2.0)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return response
                last = f"{response.status_code} {response.text}"
            time.sleep(0.05)
    pytest.fail(f"runflow serve not ready after {START_DEADLINE_S}s ({last}):\n{server.stderr()}")


def stop_server(server: Server) -> int:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise


@contextmanager
def running_server(tmp_path_factory: pytest.TempPathFactory, **settings: str) -> Iterator[Server]:
    """A ready `runflow serve` with fresh data and log folders, stopped at the end."""
    running = start_server(
        tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("logs"), **settings
    )
    try:
        wait_until_ready(running)
        yield running
    finally:
        stop_server(running)

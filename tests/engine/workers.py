"""`runflow worker` processes for tests: started for real, killed for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

RUNFLOW = str(Path(sys.executable).parent / "runflow")


class WorkerProcess:
    def __init__(self, database_url: str, data_dir: Path, log_path: Path, **settings: Any) -> None:
        env = {
            **os.environ,
            "RUNFLOW_DATABASE_URL": database_url,
            "RUNFLOW_DATA_DIR": str(data_dir),
            "RUNFLOW_LOG_LEVEL": "DEBUG",
            "RUNFLOW_LOG_FORMAT": "json",
            **{f"RUNFLOW_{key.upper()}": str(value) for key, value in settings.items()},
        }
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [RUNFLOW, "worker"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, leases stay behind as after a machine crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def events(self, name: str) -> list[dict[str, Any]]:
        """Structured log lines with `event == name`."""
        found = []
        for line in self.log_path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("event") == name:
                found.append(record)
        return found

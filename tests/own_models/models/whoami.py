"""Models that tell where and alongside what they ran: for worker routing and caps."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

_lock = threading.Lock()
_active = 0


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + float(inputs.get("seconds") or 0)
    while time.monotonic() < deadline and not context.cancelled:
        time.sleep(0.02)
    return {"pid": os.getpid()}


def overlapping(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    """How many runs of this model were running at once at any moment of this one."""
    global _active
    with _lock:
        _active += 1
        most = _active
    try:
        for _ in range(10):
            time.sleep(0.02)
            with _lock:
                most = max(most, _active)
    finally:
        with _lock:
            _active -= 1
    return {"most_at_once": most}

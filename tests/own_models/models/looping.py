"""Long-running models: one that checks `context.cancelled`, one that never does."""

from __future__ import annotations

import time
from typing import Any


def until_cancelled(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    context.progress(0.25, "waiting for a cancel")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if context.cancelled:
            return {"stopped": True}
        time.sleep(0.02)
    return {"stopped": False}


def ignoring_cancel(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(3)
    return {"finished": True}

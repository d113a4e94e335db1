"""A `process = true` model: says which process ran it, and how many setups that process did."""

from __future__ import annotations

import os
import time
from typing import Any

from PIL import Image

SETUPS = 0


def setup() -> None:
    global SETUPS
    SETUPS += 1


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    context.progress(0.5, "in a process of its own")
    context.log("info", "running", pid=os.getpid())
    if inputs["wait_for_cancel"]:
        deadline = time.monotonic() + 60
        while not context.cancelled and time.monotonic() < deadline:
            time.sleep(0.02)
        return {"stopped": context.cancelled}
    return {"pid": os.getpid(), "setups": SETUPS, "image": Image.new("RGB", (8, 6), "red")}

"""Reports how many times its setup ran in this process: it must be once."""

from __future__ import annotations

from typing import Any

SETUPS = 0


def setup() -> None:
    global SETUPS
    SETUPS += 1


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"setups": SETUPS}

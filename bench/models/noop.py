"""A Python model that does nothing: its input comes back as its output."""

from __future__ import annotations

from typing import Any


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"message": inputs["message"]}

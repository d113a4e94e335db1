"""Upper-cases its text, with a progress report, a log line and a node run."""

from __future__ import annotations

import asyncio
from typing import Any


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    context.progress(0.5, "shouting")
    context.log("info", "shouting", length=len(inputs["text"]))
    context.node("upper", type="text.upper", input={"text": inputs["text"]})
    return {"text": inputs["text"].upper()}


async def run_async(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"text": inputs["text"].upper(), "on_loop": True}

"""The `context` a Python model's `run(inputs, context)` receives (DESIGN §13).

    context.progress(0.5, "half way")          # fraction 0–1, shown on the run while it runs
    context.log("info", "loaded", steps=20)    # a run log line (GET /v1/runs/{id}/logs)
    context.node("decode", type="vae.decode")  # a node run, recorded as it ended
    if context.cancelled: return {}            # long loops check it: cancel was asked
    context.usage(megapixels=1.2)              # figures the pricing rules' `dimension_code` read

Every method may be called from the model's thread, on the loop (`async def` models) or in a
pool process (`process = true`); events reach the dispatcher through the loop in every case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol

from runflow.engine.local import node_id
from runflow.engine.providers import Log, NodeEvent, Progress, ProviderEvent
from runflow.kit.clock import utcnow

LOG_LEVELS = ("debug", "info", "warning", "error")
_NODE_STATES = ("succeeded", "failed", "cached")


class StopSignal(Protocol):
    """A `threading.Event`, or its `multiprocessing` manager proxy for `process = true`."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


def _plain(value: Any) -> Any:
    """Log metadata is stored as JSON: anything else is kept as its repr."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


class RunContext:
    """What a running Python model can tell the run, and learn from it."""

    def __init__(self, model: str, emit: Callable[[ProviderEvent], None], stop: StopSignal) -> None:
        self._model = model
        self._emit = emit
        self._stop = stop
        self._usage: dict[str, float] = {}
        self.nodes_completed = 0
        self.nodes_total = 0

    @property
    def cancelled(self) -> bool:
        """True once the run was cancelled (or timed out): stop soon, whatever you return."""
        return self._stop.is_set()

    def progress(self, fraction: float, message: str = "") -> None:
        self._emit(Progress(min(max(float(fraction), 0.0), 1.0), str(message)))

    def log(self, level: str, message: str, **meta: Any) -> None:
        if level not in LOG_LEVELS:
            raise ValueError(f"log level {level!r} is not one of {', '.join(LOG_LEVELS)}")
        plain = {key: _plain(value) for key, value in meta.items()}
        self._emit(Log(level, str(message), plain or None))

    def usage(self, **dimensions: float) -> None:
        """Report figures for pricing; a later report of the same name replaces the earlier."""
        self._usage.update({name: float(value) for name, value in dimensions.items()})

    def node(
        self,
        key: str,
        *,
        type: str | None = None,
        state: str = "succeeded",
        duration_ms: int = 0,
        input: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record one node run of the model's graph, as it ended."""
        if state not in _NODE_STATES:
            raise ValueError(f"node state {state!r} is not one of {', '.join(_NODE_STATES)}")
        now = utcnow()
        self.nodes_total += 1
        self.nodes_completed += state != "failed"
        node_input = {name: _plain(value) for name, value in (input or {}).items()}
        signed = json.dumps([type or key, node_input], sort_keys=True).encode()
        values: dict[str, Any] = {
            "node_id": node_id(self._model, key),
            "node_key": key,
            "node_type": type or key,
            "state_code": state,
            "input": node_input,
            "input_signature": hashlib.sha256(signed).hexdigest(),
            "duration_ms": int(duration_ms),
            "cost": 0,
            "retry_count": 0,
            "started_at": now,
            "completed_at": now,
            "created_at": now,
            "error_message": None if error is None else str(error)[:2000],
        }
        self._emit(NodeEvent(values))

    @property
    def reported_usage(self) -> dict[str, float]:
        return dict(self._usage)

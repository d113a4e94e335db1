"""Models as small graphs of nodes, run in order with a signature cache (DESIGN §5).

A node's signature hashes its type, the run inputs it reads and its upstream signatures, so a
node is recomputed only when something it depends on changed: a seed-only rerun of txt2img
reuses the prompt encoding.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Artifact:
    """A file a model produced; the engine stores it and returns its URL."""

    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class ModelResult:
    output: dict[str, Any]
    files: dict[str, Artifact | list[Artifact]]
    usage: dict[str, float]


class Cancelled(Exception):
    """Raised by a node that saw `should_stop()` become true."""


@dataclass
class NodeContext:
    progress: Callable[[float, str], None]
    should_stop: Callable[[], bool]

    def check_stop(self) -> None:
        """Raise `Cancelled` if the run was asked to stop."""
        if self.should_stop():
            raise Cancelled


@dataclass(frozen=True)
class Node:
    key: str
    type: str
    fn: Callable[..., Any]
    literals: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    # Share of the flow's progress bar; the sampling loop weighs more than a PNG encode.
    weight: float = 1.0


@dataclass(frozen=True)
class Flow:
    nodes: tuple[Node, ...]
    finish: Callable[[dict[str, Any], dict[str, Any]], ModelResult]


class NodeCache(Protocol):
    def get(self, signature: str) -> tuple[bool, Any]: ...
    def put(self, signature: str, value: Any) -> None: ...


class FlowObserver(Protocol):
    def node_started(self, node: Node, signature: str) -> None: ...
    def node_finished(
        self, node: Node, signature: str, *, cached: bool, duration_ms: int, preview: str | None
    ) -> None: ...
    def node_failed(
        self, node: Node, signature: str, error: BaseException, duration_ms: int
    ) -> None: ...


@dataclass
class MemoryNodeCache:
    """A dict-backed `NodeCache`, for tests and single-process runs."""

    values: dict[str, Any] = field(default_factory=dict)

    def get(self, signature: str) -> tuple[bool, Any]:
        if signature in self.values:
            return True, self.values[signature]
        return False, None

    def put(self, signature: str, value: Any) -> None:
        self.values[signature] = value


def _canonical(value: Any) -> Any:
    # Media arrive as bytes; hashing them keeps the signature small and content-addressed.
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # A float input may arrive as 3 or 3.0; both mean the same to the node.
        return int(value)
    return value


def node_signature(node: Node, inputs: dict[str, Any], upstream_signatures: dict[str, str]) -> str:
    """Hash of the node type, the literal inputs it reads and its upstream signatures, in order.

    `inputs` are a run's validated inputs with defaults filled: every literal must be present.
    """
    payload = {
        "type": node.type,
        "inputs": {name: _canonical(inputs[name]) for name in node.literals},
        "upstream": [upstream_signatures[key] for key in node.upstream],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def describe(value: Any) -> str | None:
    """A one-line preview of a node's output, recorded on its node run."""
    if isinstance(value, np.ndarray):
        return f"array {value.dtype} {'×'.join(str(n) for n in value.shape)}"
    if isinstance(value, Artifact):
        size = f" {value.width}×{value.height}" if value.width and value.height else ""
        return f"{value.content_type}{size}, {len(value.data)} bytes"
    if isinstance(value, list):
        return f"{len(value)} items"
    return None if value is None else type(value).__name__


def _node_context(ctx: NodeContext, start: float, share: float) -> NodeContext:
    def progress(fraction: float, message: str) -> None:
        ctx.progress(start + share * min(max(fraction, 0.0), 1.0), message)

    return NodeContext(progress=progress, should_stop=ctx.should_stop)


def run_flow(
    flow: Flow,
    inputs: dict[str, Any],
    ctx: NodeContext,
    *,
    cache: NodeCache | None = None,
    observer: FlowObserver | None = None,
) -> ModelResult:
    """Run the nodes in order, serving unchanged ones from `cache`, and build the result.

    Every node is reported as started and then finished (cached or not) or failed, so an
    observer can write one node run per node.
    """
    total = sum(node.weight for node in flow.nodes) or 1.0
    signatures: dict[str, str] = {}
    outputs: dict[str, Any] = {}
    done = 0.0
    for node in flow.nodes:
        ctx.check_stop()
        signature = node_signature(node, inputs, signatures)
        signatures[node.key] = signature
        start, share = done / total, node.weight / total
        if observer is not None:
            observer.node_started(node, signature)
        hit, value = cache.get(signature) if cache is not None else (False, None)
        began = time.monotonic()
        if not hit:
            kwargs = {name: inputs[name] for name in node.literals}
            kwargs.update({key: outputs[key] for key in node.upstream})
            try:
                value = node.fn(_node_context(ctx, start, share), **kwargs)
            except BaseException as error:
                if observer is not None:
                    elapsed = int((time.monotonic() - began) * 1000)
                    observer.node_failed(node, signature, error, elapsed)
                raise
            if cache is not None:
                cache.put(signature, value)
        if isinstance(value, np.ndarray):
            # Cached values are shared between runs: a node must never edit its inputs.
            value.flags.writeable = False
        outputs[node.key] = value
        done += node.weight
        ctx.progress(done / total, f"{node.key} cached" if hit else f"{node.key} done")
        if observer is not None:
            elapsed = 0 if hit else int((time.monotonic() - began) * 1000)
            observer.node_finished(
                node, signature, cached=hit, duration_ms=elapsed, preview=describe(value)
            )
    return flow.finish(inputs, outputs)

"""`run_flow`: signatures, the node cache, progress, cancellation and observer reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from runflow.models_builtin.flow import (
    Cancelled,
    Flow,
    MemoryNodeCache,
    ModelResult,
    Node,
    NodeContext,
    node_signature,
    run_flow,
)


@dataclass
class RecordingObserver:
    events: list[tuple[str, str, bool | None]] = field(default_factory=list)

    def node_started(self, node: Node, signature: str) -> None:
        self.events.append(("started", node.key, None))

    def node_finished(
        self, node: Node, signature: str, *, cached: bool, duration_ms: int, preview: str | None
    ) -> None:
        self.events.append(("finished", node.key, cached))

    def node_failed(
        self, node: Node, signature: str, error: BaseException, duration_ms: int
    ) -> None:
        self.events.append(("failed", node.key, None))

    def cached(self) -> list[str]:
        return [key for event, key, cached in self.events if event == "finished" and cached]


def _double(ctx: NodeContext, number: int) -> int:
    ctx.progress(0.5, "halfway")
    return number * 2


def _add(ctx: NodeContext, double: int, offset: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array([double + offset])


def _finish(inputs: dict[str, Any], outputs: dict[str, Any]) -> ModelResult:
    return ModelResult(output={"total": int(outputs["add"][0])}, files={}, usage={"runs": 1.0})


ARITHMETIC = Flow(
    nodes=(
        Node("double", "test.double.v1", _double, literals=("number",)),
        Node("add", "test.add.v1", _add, literals=("offset",), upstream=("double",), weight=3),
    ),
    finish=_finish,
)


def _context(progress: list[tuple[float, str]] | None = None) -> NodeContext:
    sink = progress if progress is not None else []
    return NodeContext(progress=lambda f, m: sink.append((f, m)), should_stop=lambda: False)


def test_run_flow_passes_literals_and_upstream_outputs_by_name() -> None:
    result = run_flow(ARITHMETIC, {"number": 5, "offset": 1}, _context())

    assert result.output == {"total": 11}


def test_signature_ignores_inputs_the_node_does_not_read() -> None:
    node = ARITHMETIC.nodes[0]

    first = node_signature(node, {"number": 5, "offset": 1}, {})
    second = node_signature(node, {"number": 5, "offset": 2}, {})

    assert first == second
    assert first != node_signature(node, {"number": 6, "offset": 1}, {})


def test_signature_depends_on_upstream_signatures_and_node_type() -> None:
    node = ARITHMETIC.nodes[1]
    renamed = Node("add", "test.add.v2", _add, literals=("offset",), upstream=("double",))

    base = node_signature(node, {"offset": 1}, {"double": "a"})

    assert base != node_signature(node, {"offset": 1}, {"double": "b"})
    assert base != node_signature(renamed, {"offset": 1}, {"double": "a"})


def test_signature_hashes_bytes_by_content() -> None:
    node = Node("load", "test.load.v1", _double, literals=("image",))

    same = node_signature(node, {"image": b"abc"}, {})

    assert same == node_signature(node, {"image": b"".join([b"ab", b"c"])}, {})
    assert same != node_signature(node, {"image": b"abd"}, {})


def test_integral_float_inputs_sign_like_integers() -> None:
    node = Node("frames", "test.frames.v1", _double, literals=("duration_s",))

    assert node_signature(node, {"duration_s": 3}, {}) == node_signature(
        node, {"duration_s": 3.0}, {}
    )


def test_second_run_is_served_from_cache_and_reported_as_cached() -> None:
    cache, observer = MemoryNodeCache(), RecordingObserver()
    run_flow(ARITHMETIC, {"number": 5, "offset": 1}, _context(), cache=cache)

    result = run_flow(
        ARITHMETIC, {"number": 5, "offset": 2}, _context(), cache=cache, observer=observer
    )

    assert result.output == {"total": 12}
    assert observer.cached() == ["double"]
    assert observer.events == [
        ("started", "double", None),
        ("finished", "double", True),
        ("started", "add", None),
        ("finished", "add", False),
    ]


def test_progress_is_weighted_by_node_and_ends_at_one() -> None:
    progress: list[tuple[float, str]] = []

    run_flow(ARITHMETIC, {"number": 5, "offset": 1}, _context(progress))

    fractions = [fraction for fraction, _ in progress]
    assert fractions == sorted(fractions)
    assert progress[0] == (0.125, "halfway")  # half of the first node's quarter
    assert fractions[-1] == 1.0


def test_node_outputs_are_frozen_so_cached_values_cannot_be_edited() -> None:
    cache = MemoryNodeCache()
    run_flow(ARITHMETIC, {"number": 5, "offset": 1}, _context(), cache=cache)

    arrays = [value for value in cache.values.values() if isinstance(value, np.ndarray)]

    assert arrays
    assert all(not array.flags.writeable for array in arrays)


def test_stop_request_cancels_before_the_next_node() -> None:
    ctx = NodeContext(progress=lambda f, m: None, should_stop=lambda: True)

    with pytest.raises(Cancelled):
        run_flow(ARITHMETIC, {"number": 5, "offset": 1}, ctx)


def test_failing_node_is_reported_and_its_error_propagates() -> None:
    def broken(ctx: NodeContext, number: int) -> int:
        raise ZeroDivisionError(number)

    flow = Flow(nodes=(Node("broken", "test.broken.v1", broken, ("number",)),), finish=_finish)
    cache, observer = MemoryNodeCache(), RecordingObserver()

    with pytest.raises(ZeroDivisionError):
        run_flow(flow, {"number": 1}, _context(), cache=cache, observer=observer)

    assert observer.events == [("started", "broken", None), ("failed", "broken", None)]
    assert cache.values == {}

"""Models that go wrong in the ways a customer's model does."""

from __future__ import annotations

from typing import Any


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the weights file is missing")


def return_a_list(inputs: dict[str, Any], context: Any) -> list[int]:
    return [1, 2, 3]


def return_a_set(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"tags": {"a", "b"}}

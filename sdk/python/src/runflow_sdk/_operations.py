"""Each resource method names the API operation it calls, so a test can walk `/openapi.json`
and find every operation covered (and the reference can say which method is which)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "__runflow_operation__"


def operation(operation_id: str) -> Callable[[F], F]:
    """Mark a method as the SDK's call of `operation_id`."""

    def mark(method: F) -> F:
        setattr(method, ATTRIBUTE, operation_id)
        return method

    return mark

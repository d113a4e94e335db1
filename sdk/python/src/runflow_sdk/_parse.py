"""Responses into the SDK's types, each type's validator built once."""

from __future__ import annotations

from functools import cache
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter

T = TypeVar("T")


@cache
def _adapter(cast_to: Any) -> TypeAdapter[Any]:
    return TypeAdapter(cast_to)


def parse(cast_to: type[T], content: bytes | str) -> T:
    result: T = _adapter(cast(Any, cast_to)).validate_json(content)
    return result


def parse_object(cast_to: type[T], value: Any) -> T:
    result: T = _adapter(cast(Any, cast_to)).validate_python(value)
    return result


class Page(BaseModel, Generic[T]):
    """One page of a list: its rows and the cursors around it."""

    model_config = ConfigDict(extra="allow")

    items: list[T]
    first: str | None = None
    next: str | None = None
    previous: str | None = None

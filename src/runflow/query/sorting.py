"""`sort_by` and the keyset seek that continues a sorted list after (or before) a boundary row.

A nullable key sorts its nulls last going up and first going down (on every database), by
ordering on a "is null" flag before the value. The seek is the lexicographic "after" over the
sort's components, led by a plain range bound on the first one so the database starts its index
scan at the boundary: page 10,000 costs what page 1 does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, case, literal, or_, tuple_

from runflow.query.fields import Field, Kind
from runflow.query.language import QueryError

MAX_SORT_KEYS = 3
TIEBREAK = "id"


@dataclass(frozen=True)
class SortKey:
    name: str
    field: Field
    descending: bool


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]

    @property
    def text(self) -> str:
        """The resolved sort, tiebreak included: what a cursor is bound to."""
        return ",".join(f"{key.name}:{'desc' if key.descending else 'asc'}" for key in self.keys)

    def order_by(self, *, backwards: bool = False) -> list[ColumnElement[Any]]:
        return [
            expression.desc() if descending != backwards else expression.asc()
            for expression, descending in self._components()
        ]

    def key_columns(self) -> list[ColumnElement[Any]]:
        """The sort values to select with each row, to make a cursor from it."""
        return [key.field.sql.label(f"_sort_{i}") for i, key in enumerate(self.keys)]

    def seek(self, boundary: list[Any], *, backwards: bool) -> ColumnElement[bool]:
        """Rows strictly after the boundary in this order (strictly before when `backwards`)."""
        components = self._bound_components(boundary)
        first, first_descending, first_value, _ = components[0]
        if len(components) == 1:
            return _after(first, first_descending, first_value, backwards)
        # A plain range bound on the first component lets the index scan start at the boundary.
        lead = first >= first_value if first_descending == backwards else first <= first_value
        if not any(null_flag for *_, null_flag in components) and (
            len({descending for _, descending, _, _ in components}) == 1
        ):
            # One direction and no null flags: a row-value comparison.
            expressions = tuple_(*(expression for expression, *_ in components))
            values = tuple_(
                *(literal(value, expression.type) for expression, _, value, _ in components)
            )
            return and_(lead, _after(expressions, first_descending, values, backwards))
        alternatives: list[ColumnElement[bool]] = []
        equal: list[ColumnElement[bool]] = []
        for expression, descending, value, _ in components:
            alternatives.append(and_(*equal, _after(expression, descending, value, backwards)))
            equal.append(expression == value)
        return and_(lead, or_(*alternatives))

    def _components(self) -> list[tuple[ColumnElement[Any], bool]]:
        components: list[tuple[ColumnElement[Any], bool]] = []
        for key in self.keys:
            if key.field.nullable:
                components.append((_null_flag(key.field), key.descending))
            components.append((key.field.sql, key.descending))
        return components

    def _bound_components(
        self, boundary: list[Any]
    ) -> list[tuple[ColumnElement[Any], bool, Any, bool]]:
        """(expression, descending, boundary value, is a null flag) for the seek. Where the
        boundary's value is null, the flag alone places it: every null is equal."""
        components: list[tuple[ColumnElement[Any], bool, Any, bool]] = []
        for key, value in zip(self.keys, boundary, strict=True):
            if key.field.nullable:
                components.append((_null_flag(key.field), key.descending, int(value is None), True))
                if value is None:
                    continue
            components.append((key.field.sql, key.descending, value, False))
        return components

    def boundary_of(self, row: RowMapping) -> list[Any]:
        return [_encode(row[f"_sort_{i}"]) for i in range(len(self.keys))]

    def decode(self, key: list[Any]) -> list[Any]:
        """A cursor's boundary back to typed values; ValueError when it does not fit."""
        if len(key) != len(self.keys):
            raise ValueError("boundary length")
        return [
            _decode(sort_key.field.kind, value)
            for sort_key, value in zip(self.keys, key, strict=True)
        ]


def _null_flag(field: Field) -> ColumnElement[int]:
    return case((field.sql.is_(None), 1), else_=0)


def _after(
    expression: ColumnElement[Any], descending: bool, value: Any, backwards: bool
) -> ColumnElement[bool]:
    after: ColumnElement[bool] = (
        expression < value if descending != backwards else expression > value
    )
    return after


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _decode(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    match kind:
        case Kind.TIMESTAMP:
            return datetime.fromisoformat(value)
        case Kind.DECIMAL:
            return Decimal(value)
        case Kind.UUID:
            return uuid.UUID(value)
        case Kind.INTEGER if isinstance(value, int) and not isinstance(value, bool):
            return value
        case Kind.STRING | Kind.ENUM if isinstance(value, str):
            return value
        case Kind.BOOLEAN if isinstance(value, bool):
            return value
    raise ValueError(f"{value!r} is not a {kind.value}")


def parse_sort(text: str | None, fields: Mapping[str, Field], default: str) -> Sort:
    """`field[:asc|desc],…` over sortable fields, ≤ 3 keys, `id` appended as the tiebreak
    unless a key is already unique within the list."""
    requested = text if text is not None and text.strip() else default
    keys: list[SortKey] = []
    for part in requested.split(","):
        name, _, direction = part.strip().partition(":")
        field = fields.get(name)
        if field is None or not field.sortable:
            sortable = ", ".join(sorted(n for n, f in fields.items() if f.sortable))
            raise QueryError(f"cannot sort by `{name}`; sort by one of {sortable}", None, "sort_by")
        if direction not in ("", "asc", "desc"):
            raise QueryError(f"direction `{direction}` is not asc or desc", None, "sort_by")
        if any(key.name == name for key in keys):
            raise QueryError(f"`{name}` appears twice", None, "sort_by")
        keys.append(SortKey(name, field, direction == "desc"))
    if len(keys) > MAX_SORT_KEYS:
        raise QueryError(f"at most {MAX_SORT_KEYS} sort keys", None, "sort_by")
    if not any(key.field.unique for key in keys):
        keys.append(SortKey(TIEBREAK, fields[TIEBREAK], keys[-1].descending))
    return Sort(tuple(keys[: _through_first_unique(keys)]))


def _through_first_unique(keys: list[SortKey]) -> int:
    """Keys after a unique one can never break a tie: drop them."""
    for i, key in enumerate(keys):
        if key.field.unique:
            return i + 1
    return len(keys)

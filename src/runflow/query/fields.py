"""What a list endpoint lets callers filter and sort on: typed fields over SQL expressions."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, ColumnElement
from sqlalchemy.orm import QueryableAttribute

from runflow.query.language import QueryError, Value

_INT64 = 2**63
# Money is stored in nano-units in a 64-bit integer (`runflow.kit.money`).
_MAX_MONEY = Decimal(_INT64 - 1).scaleb(-9)


class Kind(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    TIMESTAMP = "timestamp"
    UUID = "uuid"
    ENUM = "enum"
    BOOLEAN = "boolean"

    @property
    def ordered(self) -> bool:
        """Whether `<`, `>` and friends mean something for values of this kind."""
        return self in (Kind.STRING, Kind.INTEGER, Kind.DECIMAL, Kind.TIMESTAMP)


@dataclass(frozen=True)
class Field:
    """A filterable (and maybe sortable) field: its SQL expression and the type of its values."""

    column: QueryableAttribute[Any] | ColumnElement[Any]
    kind: Kind
    nullable: bool = False
    choices: tuple[str, ...] = ()
    sortable: bool = False
    # Unique within one list (like an item's `sequence_index` in its batch): no tiebreak needed.
    unique: bool = False

    @property
    def sql(self) -> ColumnElement[Any]:
        column = self.column
        return column.expression if isinstance(column, QueryableAttribute) else column

    def typed(self, name: str, value: Value, parameter: str = "q") -> Any:
        """The Python value of a literal for this field; `QueryError` when it cannot be one."""
        if value.kind == "null":
            return None
        text = value.text
        match self.kind:
            case Kind.STRING:
                if value.kind in ("string", "word", "number"):
                    return text
            case Kind.INTEGER:
                if value.kind == "number":
                    # `Integer` columns are 32-bit on PostgreSQL: a wider value is out of range.
                    bits = 64 if isinstance(self.sql.type, BigInteger) else 32
                    return _integer(name, value, parameter, bits)
            case Kind.DECIMAL:
                if value.kind in ("number", "string"):
                    return _decimal(name, value, parameter)
            case Kind.TIMESTAMP:
                if value.kind == "string":
                    return _timestamp(name, value, parameter)
            case Kind.UUID:
                if value.kind in ("string", "word"):
                    try:
                        return uuid.UUID(text)
                    except ValueError:
                        pass
            case Kind.ENUM:
                if value.kind in ("string", "word") and text in self.choices:
                    return text
                choices = ", ".join(self.choices)
                raise QueryError(f"`{name}` is one of {choices}", value.position, parameter)
            case Kind.BOOLEAN:
                if value.kind in ("true", "false"):
                    return value.kind == "true"
        raise QueryError(f"`{name}` takes {_describe(self.kind)}", value.position, parameter)


def _describe(kind: Kind) -> str:
    return {
        Kind.STRING: "a string",
        Kind.INTEGER: "an integer",
        Kind.DECIMAL: "a decimal number",
        Kind.TIMESTAMP: 'a quoted RFC 3339 timestamp, like "2026-01-31T12:00:00Z"',
        Kind.UUID: "a UUID",
        Kind.ENUM: "one of its values",
        Kind.BOOLEAN: "true or false",
    }[kind]


def _integer(name: str, value: Value, parameter: str, bits: int = 64) -> int:
    try:
        number = int(value.text)
    except ValueError:
        raise QueryError(f"`{name}` takes an integer", value.position, parameter) from None
    bound = 2 ** (bits - 1)
    if not -bound <= number < bound:
        raise QueryError(f"{value.text} is out of range for `{name}`", value.position, parameter)
    return number


def _decimal(name: str, value: Value, parameter: str) -> Decimal:
    try:
        number = Decimal(value.text)
    except InvalidOperation:
        raise QueryError(f"`{name}` takes a decimal number", value.position, parameter) from None
    # `adjusted()` first: `abs()` of 1e1000000 overflows the decimal context.
    if not number.is_finite() or number.adjusted() > 10 or abs(number) > _MAX_MONEY:
        raise QueryError(f"{value.text} is out of range for `{name}`", value.position, parameter)
    if number.as_tuple().exponent < -9:  # type: ignore[operator]
        raise QueryError(f"`{name}` has at most 9 decimal places", value.position, parameter)
    return number


def _timestamp(name: str, value: Value, parameter: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value.text.upper():
        raise QueryError(
            f"`{name}` takes {_describe(Kind.TIMESTAMP)} with its offset",
            value.position,
            parameter,
        )
    try:
        # In UTC it must still be a datetime: "0001-01-01T00:00:00+01:00" is not.
        return moment.astimezone(UTC)
    except OverflowError:
        raise QueryError(
            f"{value.text} is out of range for `{name}`", value.position, parameter
        ) from None

"""Compile a `q` syntax tree into a SQLAlchemy condition with bound parameters.

Every comparison compiles to a condition that is TRUE or FALSE, never NULL, so `NOT` means what
it says on rows whose field is null: `NOT failure_code = "TIMEOUT"` keeps the runs that have no
failure code, as a Python filter would. The semantics on null fields:

    field = v, field IN (…), field < v …   false
    field != v                            true
    field = null / field != null          IS NULL / IS NOT NULL
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

from runflow.query.fields import Field, Kind
from runflow.query.language import (
    Comparison,
    Junction,
    Membership,
    Negation,
    Node,
    Presence,
    QueryError,
    Value,
)

Fields = Mapping[str, Field]

_ORDERING: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "<": lambda column, value: column < value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    ">=": lambda column, value: column >= value,
}


def compile_filter(node: Node, fields: Fields) -> ColumnElement[bool]:
    """The condition for `node`. Nodes are nested at most `MAX_NESTING` deep, so this recursion
    is bounded by the parser's limits."""
    match node:
        case Junction(op="AND", operands=operands):
            return and_(*(compile_filter(operand, fields) for operand in operands))
        case Junction(operands=operands):
            return or_(*(compile_filter(operand, fields) for operand in operands))
        case Negation(operand=operand):
            return not_(compile_filter(operand, fields))
        case Presence():
            field = _field(fields, node.field, node.position)
            return field.sql.is_not(None) if field.nullable else true()
        case Membership():
            return _membership(node, _field(fields, node.field, node.position))
        case Comparison():
            return _comparison(node, _field(fields, node.field, node.position))
    raise AssertionError(node)  # pragma: no cover - the parser makes no other nodes


def _field(fields: Fields, name: str, position: int) -> Field:
    field = fields.get(name)
    if field is None:
        known = ", ".join(sorted(fields))
        raise QueryError(f"unknown field `{name}`; filter on one of {known}", position)
    return field


def _present(field: Field, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, made FALSE rather than NULL where the field is null."""
    return and_(field.sql.is_not(None), condition) if field.nullable else condition


def _comparison(node: Comparison, field: Field) -> ColumnElement[bool]:
    name, op, value = node.field, node.op, node.value
    column = field.sql
    if value.kind == "null":
        if op not in ("=", "!="):
            raise QueryError(f"`{op}` cannot compare with null", value.position)
        if not field.nullable:
            return false() if op == "=" else true()
        return column.is_(None) if op == "=" else column.is_not(None)
    prefix = _prefix(field, value)
    if prefix is not None:
        if op not in ("=", "!="):
            raise QueryError(
                "a trailing `*` (prefix match) works only with = and !=", value.position
            )
        if field.kind is Kind.ENUM:
            # The values that start so (`type = "run.*"`): a plain IN, as an index reads it.
            matching = [choice for choice in field.choices if choice.startswith(prefix)]
            if not matching:
                choices = ", ".join(field.choices)
                raise QueryError(
                    f"no `{name}` starts with {prefix!r}: one of {choices}", value.position
                )
            starts = _present(field, column.in_(matching))
        else:
            # substr, not LIKE: exact and case-sensitive on SQLite and PostgreSQL alike.
            starts = _present(field, func.substr(column, 1, len(prefix)) == prefix)
        return starts if op == "=" else not_(starts)
    typed = field.typed(name, value)
    if op == "=":
        return _present(field, column == typed)
    if op == "!=":
        return not_(_present(field, column == typed))
    if not field.kind.ordered:
        raise QueryError(f"`{name}` can only be compared with = and !=", node.position)
    return _present(field, _ORDERING[op](column, typed))


def _prefix(field: Field, value: Value) -> str | None:
    if field.kind not in (Kind.STRING, Kind.ENUM) or value.kind not in ("string", "word"):
        return None
    return value.text[:-1] if value.text.endswith("*") else None


def _membership(node: Membership, field: Field) -> ColumnElement[bool]:
    values = [field.typed(node.field, value) for value in node.values]
    present = [value for value in values if value is not None]
    condition = _present(field, field.sql.in_(present)) if present else false()
    if len(present) < len(values) and field.nullable:
        return or_(condition, field.sql.is_(None))
    return condition

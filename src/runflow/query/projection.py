"""`fields`: read only the columns the requested output fields need.

A resource maps each output field either to the one column it is (selected under the field's
name) or, for a field it computes, to a tuple of the columns it is computed from (selected under
their own names): an item's `error` from the run's three failure columns, a run's `links` from
its id and batch id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, RowMapping
from sqlalchemy.orm import QueryableAttribute

Source = QueryableAttribute[Any] | ColumnElement[Any]
Columns = Mapping[str, Source | tuple[Source, ...]]


def select_columns(columns: Columns, names: Collection[str]) -> list[ColumnElement[Any]]:
    selected: dict[str, ColumnElement[Any]] = {}
    for name in names:
        sources = columns[name]
        labelled = (
            [(source.key or name, source) for source in sources]
            if isinstance(sources, tuple)
            else [(name, sources)]
        )
        for label, source in labelled:
            if label not in selected:
                selected[label] = source.label(label)
    return list(selected.values())


def values_of(row: RowMapping, columns: Columns, names: Collection[str]) -> dict[str, Any]:
    """The values of the requested column fields; computed fields are the caller's to make."""
    return {name: row[name] for name in names if not isinstance(columns[name], tuple)}

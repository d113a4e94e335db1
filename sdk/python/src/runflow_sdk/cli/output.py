"""How the CLI prints: JSON for one object, a table, JSON or JSON Lines for rows.
Results go to stdout; progress and errors to stderr, so output can be piped."""

from __future__ import annotations

import enum
import itertools
import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

out = Console(soft_wrap=True, highlight=False)
if not out.is_terminal:  # piped: whole lines, never cut to a guessed width
    out = Console(soft_wrap=True, highlight=False, width=10_000)
err = Console(stderr=True, soft_wrap=True, highlight=False)
T = TypeVar("T")


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


def plain(value: Any) -> Any:
    """A model or a list of them as JSON-ready data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def print_json(value: Any) -> None:
    out.print_json(json.dumps(plain(value)), highlight=False)


def print_rows(rows: Iterable[BaseModel], fmt: Format, columns: Sequence[str]) -> None:
    if fmt is Format.jsonl:
        for row in rows:
            out.print(json.dumps(plain(row)), markup=False, highlight=False)
        return
    if fmt is Format.json:
        print_json([plain(row) for row in rows])
        return
    table = Table(box=None, header_style="bold")
    for column in columns:  # ids are copied from here into the next command: never cut them
        whole = column == "id" or column.endswith("_id")
        table.add_column(column, no_wrap=whole, min_width=36 if whole else None)
    for row in rows:
        data = plain(row)
        table.add_row(*(_cell(data.get(column)) for column in columns))
    out.print(table)


def first_rows(rows: Iterable[T], limit: int) -> list[T]:
    """At most `limit` rows of a pager: it asks for no page beyond them."""
    return list(itertools.islice(rows, limit))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)[:60]
    return str(value)

"""Many rows as one bound JSON parameter, unpacked by the database.

An executemany sends every value of every row through SQLAlchemy's bind processing and the
driver, one row at a time; on the engine's hot paths (a chunk of completions, the runs of a
batch) that Python work costs more than the database spends on the rows. Here the rows travel
as one JSON array, encoded in C, and the database turns it back into a table: SQLite with
`json_each`, PostgreSQL with `jsonb_to_recordset`. Statements select from that table
(`INSERT … SELECT`, `UPDATE … FROM`), so a chunk of any size is one statement.

Values are given as the application holds them: UUIDs, aware datetimes and money (`Money`
columns) are put in their stored form here; JSON columns take the Python objects themselves
(`None` is SQL NULL).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Insert,
    String,
    Table,
    Uuid,
    bindparam,
    cast,
    column,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.types import TypeEngine

from runflow.db.types import Money, UTCDateTime
from runflow.kit import json_codec
from runflow.kit.money import to_nanos


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return _sqlite_datetime(value)
    raise TypeError(f"{type(value).__name__} has no stored form")


@functools.lru_cache(maxsize=256)  # the rows of a chunk mostly share one or two timestamps
def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage: naive UTC, a space, always six fraction digits.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _postgres_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no stored form")


class JsonRows:
    """Rows for some `columns` of `table`, arriving as one JSON parameter named `name`."""

    def __init__(self, name: str, table: Table, columns: Sequence[str] | None = None) -> None:
        self.name = name
        self.table = table
        self.columns = list(columns if columns is not None else table.columns.keys())
        self._money = [key for key in self.columns if isinstance(table.c[key].type, Money)]
        self._sources: dict[str, FromClause] = {}
        self._statements: dict[str, Insert] = {}

    def source(self, dialect: str) -> FromClause:
        """The rows as a FROM clause with one column per name, typed as in the table."""
        if dialect not in self._sources:
            # Built on first use: a foreign key column has its type only once the table it
            # points at is known, which is not yet true while the models are imported.
            types = {key: self.table.c[key].type for key in self.columns}
            build = _postgres_source if dialect == "postgresql" else _sqlite_source
            self._sources[dialect] = build(self.name, types)
        return self._sources[dialect]

    def insert(self, dialect: str) -> Insert:
        """`INSERT INTO table (columns) SELECT … FROM rows`; the table's other columns get
        their defaults, as with a plain insert."""
        if dialect not in self._statements:
            given = self.source(dialect)
            self._statements[dialect] = insert(self.table).from_select(
                self.columns, select(*(given.c[name] for name in self.columns))
            )
        return self._statements[dialect]

    def parameters(self, dialect: str, rows: Iterable[dict[str, Any]]) -> dict[str, str]:
        """The one parameter carrying `rows`, dicts of column values (absent keys are NULL).
        Money is converted in place: the dicts are the caller's scratch, made for this."""
        stored = _postgres_value if dialect == "postgresql" else _sqlite_value
        rows = list(rows)
        for key in self._money:
            for row in rows:
                if (amount := row.get(key)) is not None:
                    row[key] = to_nanos(amount)
        sqlite = dialect != "postgresql"
        encoded = json_codec.dumps_bytes(rows, default=stored, passthrough_datetime=sqlite)
        return {self.name: encoded.decode()}

    def concatenated(self, parameters: Sequence[dict[str, str]]) -> dict[str, str]:
        """One parameter carrying the rows of several `parameters()` results, without
        decoding them: each is a JSON array, so their insides joined by commas are one."""
        if len(parameters) == 1:
            return parameters[0]
        insides = (given[self.name][1:-1] for given in parameters)
        return {self.name: "[" + ",".join(inside for inside in insides if inside) + "]"}


def _is_json(type_: TypeEngine[Any]) -> bool:
    return isinstance(type_, JSON)  # JSONB, and JSON with a JSONB variant, included


def _sqlite_source(name: str, columns: Mapping[str, TypeEngine[Any]]) -> FromClause:
    rows = func.json_each(bindparam(name, type_=String())).table_valued("value")
    value = rows.c.value
    selected: list[ColumnElement[Any]] = []
    for key, type_ in columns.items():
        path: ColumnElement[str] = literal_column(f"'$.{key}'")  # column names: no quoting needed
        if _is_json(type_):
            # `->` keeps the JSON text of any value; JSON null and absent keys become NULL.
            as_json = value.op("->")(path)
            extracted: ColumnElement[Any] = func.nullif(as_json, literal_column("'null'"))
        elif isinstance(type_, Uuid):
            # Encoded as `8-4-4-4-12` (orjson's form); stored as 32 hex digits.
            hyphen: ColumnElement[str] = literal_column("'-'")
            nothing: ColumnElement[str] = literal_column("''")
            extracted = func.replace(func.json_extract(value, path), hyphen, nothing)
        else:
            extracted = func.json_extract(value, path)
        selected.append(extracted.label(key))
    return select(*selected).select_from(rows).subquery(name)


def _postgres_source(name: str, columns: Mapping[str, TypeEngine[Any]]) -> FromClause:
    types = {key: _postgres_type(type_) for key, type_ in columns.items()}
    typed = [column(key, type_) for key, type_ in types.items()]
    # Parsed as `jsonb` when some column is `jsonb`: its values are then taken from the
    # binary document as they are. Otherwise as `json`, which only checks the text (about
    # half the work) and hands each value over as its text.
    as_jsonb = any(isinstance(type_, JSONB) for type_ in types.values())
    given = bindparam(name, type_=String())
    document = cast(given, JSONB) if as_jsonb else cast(given, JSON)
    to_recordset = func.jsonb_to_recordset if as_jsonb else func.json_to_recordset
    return to_recordset(document).table_valued(*typed, name=name).render_derived(with_types=True)


def _postgres_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type PostgreSQL parses the JSON value as; decorators by what they store."""
    if isinstance(type_, UTCDateTime | Money):
        return type_.impl_instance
    if _is_json(type_):
        return JSONB() if _postgres_variant_is_jsonb(type_) else JSON()
    return type_


def _postgres_variant_is_jsonb(type_: TypeEngine[Any]) -> bool:
    return isinstance(type_, JSONB) or isinstance(type_._variant_mapping.get("postgresql"), JSONB)

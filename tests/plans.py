"""What a statement's plan reads: the statements code sends, captured, and explained with
their own parameters — on PostgreSQL as a generic plan, the one a prepared statement comes to
use, made without the parameters' values.

A test's tables hold a few rows, for which reading the whole table and sorting it is as good
a plan as any. On PostgreSQL both are priced out here, so the plan is the one a large table
gets: through the index that serves the statement, if one can.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.db.engine import Database

Sent = list[tuple[str, Any]]


@contextmanager
def sent_statements(database: Database, table: str) -> Iterator[Sent]:
    """The statements on `table` sent to the database meanwhile (inserts aside), with their
    parameters."""
    sent: Sent = []

    def note(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if f" {table}" in statement and not statement.lstrip().upper().startswith("INSERT"):
            sent.append((statement, parameters))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _literal(value: Any) -> str:
    """A parameter as an untyped literal: `EXECUTE` gives it the prepared statement's type."""
    if value is None:
        return "NULL"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


async def plan(session: AsyncSession, statement: str, parameters: Any) -> str:
    """How the database would run `statement` with `parameters`, as text."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        explained = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in explained)
    await connection.exec_driver_sql(f"PREPARE probe AS {statement}")
    for setting in (
        "plan_cache_mode = force_generic_plan",
        "enable_seqscan = off",
        "enable_sort = off",
    ):
        await connection.exec_driver_sql(f"SET LOCAL {setting}")
    given = ", ".join(_literal(value) for value in parameters)
    explained = await connection.exec_driver_sql(
        f"EXPLAIN EXECUTE probe({given})" if parameters else "EXPLAIN EXECUTE probe"
    )
    lines = "\n".join(str(row[-1]) for row in explained)
    await connection.exec_driver_sql("DEALLOCATE probe")
    return lines

"""The engine reads queued and running runs through their own partial indexes.

Those indexes hold only the runs the engine works on, and serve a statement only when the
statement's condition plainly implies theirs: a status sent as a bound parameter hides it
from SQLite and from PostgreSQL's generic plans, and the statement reads the whole table.
Each statement is captured as the engine sends it and explained with its own parameters —
on PostgreSQL as a generic plan, the one a prepared statement settles on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.db.engine import Database
from runflow.engine.queue import claim_due_runs, expired_leases, renew_leases
from runflow.kit.clock import utcnow
from runflow.metrics.router import _DEPTH
from tests.engine.polling import create_batch

Sent = list[tuple[str, Any]]


@contextmanager
def _sent(database: Database) -> Iterator[Sent]:
    """The statements on `runs` sent to the database meanwhile, with their parameters."""
    sent: Sent = []

    def note(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if " runs" in statement and not statement.lstrip().upper().startswith("INSERT"):
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


async def _plan(session: AsyncSession, statement: str, parameters: Any) -> str:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        explained = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in explained)
    # The plan made without the parameters' values, as a prepared statement comes to use.
    await connection.exec_driver_sql(f"PREPARE probe AS {statement}")
    await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    given = ", ".join(_literal(value) for value in parameters)
    explained = await connection.exec_driver_sql(
        f"EXPLAIN EXECUTE probe({given})" if parameters else "EXPLAIN EXECUTE probe"
    )
    plan = "\n".join(str(row[-1]) for row in explained)
    await connection.exec_driver_sql("DEALLOCATE probe")
    return plan


async def test_claims_leases_and_queue_depth_read_the_queue_indexes(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await create_batch(client, auth, [{"message": f"m{n}"} for n in range(3)])
    now, lease = utcnow(), timedelta(seconds=30)
    with _sent(database) as sent:
        async with database.transaction() as session:
            claimed = await claim_due_runs(session, worker_id="w", limit=2, lease=lease, now=now)
            await renew_leases(session, worker_id="w", lease=lease, now=now)
            await expired_leases(session, now + timedelta(hours=1))
            await session.execute(_DEPTH)
    assert len(claimed) == 2

    def one(*words: str) -> tuple[str, Any]:
        (found,) = [(sql, given) for sql, given in sent if all(word in sql for word in words)]
        return found

    expected = {
        "ix_runs_queued": [one("WITH RECURSIVE"), one("UPDATE runs", "attempt")],
        "ix_runs_lease_owner": [one("UPDATE runs SET lease_expires_at")],
        "ix_runs_running": [one("SELECT runs.id", "lease_expires_at <")],
    }
    async with database.transaction() as session:
        for index, statements in expected.items():
            for statement, parameters in statements:
                assert index in await _plan(session, statement, parameters), statement
        depth, parameters = one("count(", "GROUP BY runs.model_id")
        plan = await _plan(session, depth, parameters)
        assert "ix_runs_queued" in plan, plan
        assert "ix_runs_running" in plan, plan

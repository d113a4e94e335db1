"""The engine reads queued and running runs through their own partial indexes.

Those indexes hold only the runs the engine works on, and serve a statement only when the
statement's condition plainly implies theirs: a status sent as a bound parameter hides it
from PostgreSQL's generic plans, and the statement reads the whole table.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from runflow.db.engine import Database
from runflow.engine.queue import expired_leases, lease_runs, renew_leases, take_due_runs
from runflow.kit.clock import utcnow
from runflow.metrics.router import _DEPTH
from tests.engine.polling import create_batch
from tests.plans import plan, sent_statements


async def test_claims_leases_and_queue_depth_read_the_queue_indexes(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await create_batch(client, auth, [{"message": f"m{n}"} for n in range(3)])
    now, lease = utcnow(), timedelta(seconds=30)
    with sent_statements(database, "runs") as sent:
        async with database.transaction() as session:
            claimed = await take_due_runs(session, limit=2, now=now)
            await lease_runs(session, claimed, worker_id="w", lease=lease, now=now)
            await renew_leases(session, worker_id="w", lease=lease, now=now)
            await expired_leases(session, now + timedelta(hours=1))
            await session.execute(_DEPTH)
    assert len(claimed) == 2

    def one(*words: str) -> tuple[str, Any]:
        (found,) = [(sql, given) for sql, given in sent if all(word in sql for word in words)]
        return found

    expected = {
        "ix_runs_queued": [one("WITH RECURSIVE"), one("SELECT runs.id", "available_at <=")],
        "ix_runs_lease_owner": [one("UPDATE runs SET lease_expires_at")],
        "ix_runs_running": [one("SELECT runs.id", "lease_expires_at <")],
    }
    async with database.transaction() as session:
        for index, statements in expected.items():
            for statement, parameters in statements:
                assert index in await plan(session, statement, parameters), statement
        # The runs taken are leased by their primary key, one statement for all of them.
        leased = await plan(session, *one("UPDATE runs SET status_code"))
        assert "pk_runs" in leased or "sqlite_autoindex_runs_1 (id=?)" in leased, leased
        depth, parameters = one("count(", "GROUP BY runs.model_id")
        counted = await plan(session, depth, parameters)
        assert "ix_runs_queued" in counted, counted
        assert "ix_runs_running" in counted, counted

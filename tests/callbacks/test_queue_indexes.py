"""A claim reads each lane through the lane's own partial index of due deliveries, whatever
else the table holds: never through the index of an endpoint's history, which SQLite (it keeps
no statistics) took for the callbacks' lane and read every callback there ever was with."""

from __future__ import annotations

from datetime import timedelta

from runflow.callbacks.queue import claim_due_deliveries
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from tests.plans import plan, sent_statements


async def test_each_lane_is_claimed_through_its_index_of_due_deliveries(
    database: Database,
) -> None:
    with sent_statements(database, "callback_deliveries") as sent:
        async with database.transaction() as session:
            await claim_due_deliveries(session, limit=10, now=utcnow(), lease=timedelta(seconds=30))
    claims = [(sql, given) for sql, given in sent if "next_attempt_at <=" in sql]
    lanes = {"endpoint_id IS NULL": "due_callbacks", "endpoint_id IS NOT NULL": "due_events"}
    assert len(claims) == len(lanes)
    async with database.transaction() as session:
        for statement, parameters in claims:
            (index,) = [index for lane, index in lanes.items() if f"{lane} AND" in statement]
            explained = await plan(session, statement, parameters)
            assert f"ix_callback_deliveries_{index}" in explained, explained

"""One org's backlog does not starve another org's single item; per-org caps hold."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
from sqlalchemy import func, select, update

from runflow.auth.models import Org
from runflow.callbacks.outbox import Outbox
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.engine.assembly import build_dispatcher
from runflow.engine.queue import orgs_with_queued_runs
from runflow.runs.models import Run
from tests.conftest import MakeKey
from tests.engine.polling import create_batch, eventually, terminal_batch


async def test_single_item_of_another_org_is_not_starved(
    client: httpx.AsyncClient,
    make_key: MakeKey,
    settings: Settings,
    database: Database,
    outbox: Outbox,
) -> None:
    busy = {"Authorization": f"Bearer {await make_key(org='busy', email='a@busy.test')}"}
    quiet = {"Authorization": f"Bearer {await make_key(org='quiet', email='b@quiet.test')}"}
    for _ in range(20):
        await create_batch(client, busy, [{"message": "backlog"}] * 100)
    single = await create_batch(client, quiet, [{"message": "just me"}])

    concurrency = 50
    dispatcher = build_dispatcher(
        database, settings.model_copy(update={"worker_concurrency": concurrency}), outbox
    )
    await dispatcher.start()
    try:
        await terminal_batch(client, quiet, single["id"], timeout_s=60)
    finally:
        await dispatcher.stop()

    async with database.transaction(write=False) as session:
        quiet_started: datetime = await session.scalar(
            select(Run.started_at).where(Run.id == uuid.UUID(single["items"][0]["run_id"]))
        )
        busy_before = await session.scalar(
            select(func.count()).where(
                Run.started_at < quiet_started, Run.batch_id != uuid.UUID(single["id"])
            )
        )
    # The quiet org's item is in the first or second claim: fewer runs of the busy org than
    # two claim chunks started before it, out of a backlog of 2,000.
    assert busy_before is not None
    assert busy_before < 2 * concurrency


async def test_org_concurrency_cap_is_never_exceeded(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    outbox: Outbox,
) -> None:
    async with database.transaction() as session:
        await session.execute(update(Org).where(Org.slug == "acme").values(max_concurrent_runs=3))
    # Runs long enough (four rounds of 0.5 s) that polling sees them running on a loaded machine.
    created = await create_batch(client, auth, [{"delay_ms": 500}] * 12)

    dispatcher = build_dispatcher(
        database, settings.model_copy(update={"worker_concurrency": 20}), outbox
    )
    await dispatcher.start()
    peak = 0
    try:

        async def finished_while_watching() -> bool:
            nonlocal peak
            async with database.transaction(write=False) as session:
                running = await session.scalar(
                    select(func.count()).where(Run.status_code == "running")
                )
                left = await session.scalar(
                    select(func.count()).where(Run.status_code.in_(("queued", "running")))
                )
            peak = max(peak, running or 0)
            return left == 0

        await eventually(finished_while_watching, timeout_s=30, interval_s=0.01)
    finally:
        await dispatcher.stop()
    batch = await terminal_batch(client, auth, created["id"])
    assert batch["status_code"] == "succeeded"
    assert 1 <= peak <= 3


async def test_claims_visit_orgs_in_rotation_wrapping_around(
    client: httpx.AsyncClient, make_key: MakeKey, database: Database
) -> None:
    for name in ("one", "two", "three"):
        key = await make_key(org=name, email=f"x@{name}.test")
        await create_batch(client, {"Authorization": f"Bearer {key}"}, [{"message": name}])
    async with database.transaction(write=False) as session:
        a, b, c = sorted(set((await session.scalars(select(Run.org_id))).all()))

        assert list(await orgs_with_queued_runs(session, None)) == [a, b, c]
        assert list(await orgs_with_queued_runs(session, a)) == [b, c, a]
        assert list(await orgs_with_queued_runs(session, b)) == [c, a, b]
        assert list(await orgs_with_queued_runs(session, c)) == [a, b, c]
        assert list(await orgs_with_queued_runs(session, b, limit=2)) == [c, a]
        assert list(await orgs_with_queued_runs(session, c, limit=1)) == [a]

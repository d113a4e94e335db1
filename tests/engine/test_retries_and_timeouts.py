"""Transient provider failures are retried with backoff; model time limits end runs TIMEOUT."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
from sqlalchemy import update

from runflow.callbacks.outbox import Outbox
from runflow.catalog.models import Model
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.engine.assembly import build_dispatcher
from runflow.engine.dispatcher import Dispatcher, DispatcherConfig
from runflow.engine.providers import Failed, Finished, Job, Provider, ProviderEvent
from tests.engine.polling import create_batch, terminal_batch


class FlakyRemote(Provider):
    """A remote inference service that is unavailable for each job's first `failures` tries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.submissions: Counter[uuid.UUID] = Counter()
        self.jobs: dict[uuid.UUID, Job] = {}

    async def submit(self, job: Job) -> None:
        self.submissions[job.run_id] += 1
        self.jobs[job.run_id] = job

    async def events(self, run_id: uuid.UUID) -> AsyncIterator[ProviderEvent]:
        if self.submissions[run_id] <= self.failures:
            yield Failed("PROVIDER_UNAVAILABLE", "503 from the inference server", retryable=True)
        else:
            yield Finished({"message": self.jobs[run_id].input.get("message", "")}, {})

    async def cancel(self, run_id: uuid.UUID) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_transient_failures_are_retried_until_success(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, outbox: Outbox
) -> None:
    created = await create_batch(client, auth, [{"message": f"m{i}"} for i in range(5)])
    remote = FlakyRemote(failures=2)
    dispatcher = Dispatcher(
        database, remote, DispatcherConfig(concurrency=8, retry_base_s=0.05), outbox
    )
    await dispatcher.start()
    try:
        batch = await terminal_batch(client, auth, created["id"])
    finally:
        await dispatcher.stop()

    assert batch["status_code"] == "succeeded"
    assert set(remote.submissions.values()) == {3}
    for item in created["items"]:
        run = (await client.get(f"/v1/runs/{item['run_id']}", headers=auth)).json()
        assert run["failure_code"] is None


async def test_retries_stop_at_the_models_limit(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, outbox: Outbox
) -> None:
    created = await create_batch(client, auth, [{"message": "never"}])
    remote = FlakyRemote(failures=100)
    dispatcher = Dispatcher(
        database, remote, DispatcherConfig(concurrency=2, retry_base_s=0.05), outbox
    )
    await dispatcher.start()
    try:
        batch = await terminal_batch(client, auth, created["id"])
    finally:
        await dispatcher.stop()

    assert batch["status_code"] == "failed"
    run = (await client.get(f"/v1/runs/{created['items'][0]['run_id']}", headers=auth)).json()
    assert run["failure_code"] == "PROVIDER_UNAVAILABLE"
    # echo allows 2 retries: 3 attempts in all.
    assert list(remote.submissions.values()) == [3]


async def test_a_run_over_the_model_time_limit_fails_with_timeout(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    outbox: Outbox,
) -> None:
    async with database.transaction() as session:
        await session.execute(update(Model).where(Model.slug == "echo").values(timeout_s=0.3))
    created = await create_batch(client, auth, [{"delay_ms": 20_000}, {"message": "quick"}])
    dispatcher = build_dispatcher(
        database, settings.model_copy(update={"worker_concurrency": 4}), outbox
    )
    await dispatcher.start()
    try:
        batch = await terminal_batch(client, auth, created["id"])
    finally:
        await dispatcher.stop()

    assert batch["status_code"] == "partially_succeeded"
    slow = (await client.get(f"/v1/runs/{created['items'][0]['run_id']}", headers=auth)).json()
    assert (slow["status_code"], slow["failure_code"], slow["cost"]) == ("failed", "TIMEOUT", "0")

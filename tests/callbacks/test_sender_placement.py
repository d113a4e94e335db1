"""Which processes send (`RUNFLOW_SENDER`): by default the ones whose engine runs; `on` adds
an API-only process, `off` keeps a worker to its runs. On PostgreSQL a process without a
sender wakes the others' with a `NOTIFY` when it writes deliveries."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.models import Org
from runflow.callbacks.outbox import Delivery, Outbox
from runflow.callbacks.policy import RetryPolicy
from runflow.callbacks.sender import CallbackSender, SenderConfig
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard
from tests.callbacks.receiver import Receiver
from tests.engine.workers import WorkerProcess
from tests.served import BOOTSTRAP_KEY, start_server, stop_server, wait_until_ready
from tests.webhooks.helpers import verify

AUTH = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
POLICY = RetryPolicy(delays_s=(60.0,), timeout_s=5.0)
EVENTS = ["batch.created", "run.succeeded", "run.succeeded", "batch.succeeded"]


@pytest.mark.parametrize(
    ("sender", "worker_concurrency", "sends"),
    [
        ("auto", 16, True),
        ("auto", 0, False),
        ("on", 0, True),
        ("off", 16, False),
    ],
)
def test_a_process_sends_where_its_engine_runs_unless_told(
    sender: str, worker_concurrency: int, sends: bool
) -> None:
    settings = Settings(sender=sender, worker_concurrency=worker_concurrency)
    assert settings.sends is sends


def test_an_unknown_sender_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNFLOW_SENDER", "sometimes")
    with pytest.raises(ValidationError, match="sender"):
        Settings()


async def test_a_delivery_written_without_a_sender_wakes_a_listening_one_at_once(
    postgres_url: str,
) -> None:
    """PostgreSQL: the writing transaction `NOTIFY`s; a sender polling once an hour sends it."""
    database = Database(postgres_url)
    config = SenderConfig(poll_interval_s=3600.0)
    sender = CallbackSender(database, POLICY, EgressGuard(["127.0.0.0/8"]), config)
    try:
        async with Receiver() as receiver:
            async with database.transaction() as session:
                org_id = await _org(session)
            await sender.start()  # its first claim finds nothing; then it waits for a wake
            await asyncio.sleep(0.5)
            async with database.transaction() as session:
                delivery = Delivery(org_id, receiver.url(), b"{}", is_automatic=False)
                await Outbox(POLICY.max_attempts).add_many(session, [delivery], utcnow())
            deadline = time.monotonic() + 60
            while not receiver.received:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
    finally:
        await sender.stop()
        await database.dispose()
    assert len(receiver.received) == 1


async def _org(session: AsyncSession) -> uuid.UUID:
    org = Org(slug="acme", name="Acme", credit_balance=0)
    session.add(org)
    await session.flush()
    return org.id


async def test_an_api_process_sends_what_a_worker_that_does_not_send_wrote(
    tmp_path: Path, postgres_url: str
) -> None:
    """1 API process with `RUNFLOW_SENDER=on` and 1 worker with `off`: the worker runs the
    batch and writes its callback and events; the API process sends every one, signed."""
    loopback = {"callback_allow_cidrs": "127.0.0.0/8"}
    (tmp_path / "logs").mkdir()
    server = start_server(
        tmp_path / "api",
        tmp_path / "logs",
        database_url=postgres_url,
        worker_concurrency="0",
        sender="on",
        log_level="DEBUG",  # delivered attempts are logged at debug
        **loopback,
    )
    worker = WorkerProcess(
        postgres_url, tmp_path / "worker", tmp_path / "worker.log", sender="off", **loopback
    )
    try:
        wait_until_ready(server)
        async with Receiver() as receiver, httpx.AsyncClient(base_url=server.base_url) as http:
            created = await http.post(
                "/v1/webhooks/endpoints",
                json={"url": receiver.url("/events"), "event_types": ["*"]},
                headers=AUTH,
            )
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            body = {"input": [{"message": "a"}, {"message": "b"}], "callback_url": receiver.url()}
            batch = await http.post("/v1/models/runflow/echo/batches", json=body, headers=AUTH)
            assert batch.status_code == 201, batch.text
            deadline = time.monotonic() + 120
            while len(receiver.received) < 1 + len(EVENTS):
                assert time.monotonic() < deadline, [r.path for r in receiver.received]
                await asyncio.sleep(0.1)
    finally:
        worker.stop()
        exit_code = stop_server(server)
    assert exit_code == 0, server.stderr()

    callbacks = [r for r in receiver.received if r.path == "/hook"]
    events = [verify(r, secret)["type"] for r in receiver.received if r.path == "/events"]
    assert len(callbacks) == 1
    assert sorted(events) == sorted(EVENTS)
    # The worker ran the runs (the API process runs none) and sent nothing; the API process
    # made every attempt.
    assert worker.events("callback_attempted") == []
    assert server.stderr().count('"callback_attempted"') == 1 + len(EVENTS)

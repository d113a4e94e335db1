"""The event outbox's promises, at the level of transactions: an event exists if and only if
the change that caused it committed, and events past their retention are pruned."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from runflow.callbacks.models import CallbackAttempt, CallbackDelivery
from runflow.callbacks.outbox import Outbox
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.webhooks import event_log
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.events import NewEvent, record_events, subscriptions
from runflow.webhooks.models import Event
from tests.webhooks.helpers import create_endpoint


class _Abandon(Exception):
    pass


async def _counts(database: Database) -> tuple[int, int]:
    async with database.transaction(write=False) as session:
        events = await session.scalar(select(func.count()).select_from(Event))
        deliveries = await session.scalar(select(func.count()).select_from(CallbackDelivery))
    return int(events or 0), int(deliveries or 0)


async def _org_of(client: httpx.AsyncClient, auth: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/v1/account", headers=auth)).json()["org"]["id"])


async def test_an_event_rolls_back_with_its_cause_and_commits_with_it(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, outbox: Outbox
) -> None:
    await create_endpoint(client, auth, "http://127.0.0.1:9/", ["webhook.test"])
    org_id = await _org_of(client, auth)
    event = NewEvent(org_id, EventType.WEBHOOK_TEST, {"message": "hello"})

    async def abandoned() -> None:
        async with database.transaction() as session:
            subscribed = await subscriptions(session, [org_id])
            await record_events(session, outbox, subscribed, [event], utcnow())
            raise _Abandon

    with pytest.raises(_Abandon):
        await abandoned()
    assert await _counts(database) == (0, 0)

    async with database.transaction() as session:
        await record_events(
            session, outbox, await subscriptions(session, [org_id]), [event], utcnow()
        )
    assert await _counts(database) == (1, 1)


async def test_events_past_retention_go_with_their_deliveries_and_attempts(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, outbox: Outbox
) -> None:
    await create_endpoint(client, auth, "http://127.0.0.1:9/", ["*"])
    org_id = await _org_of(client, auth)
    now = utcnow()
    old = now - event_log.RETENTION - timedelta(minutes=1)
    async with database.transaction() as session:
        subscribed = await subscriptions(session, [org_id])
        for when in (old, now):
            event = NewEvent(org_id, EventType.WEBHOOK_TEST, {"at": when.isoformat()})
            await record_events(session, outbox, subscribed, [event], when)
        stale = await session.scalar(
            select(CallbackDelivery.id).where(CallbackDelivery.created_at == old)
        )
        session.add(CallbackAttempt(delivery_id=stale, attempt_number=1, status_code=500))
    assert await _counts(database) == (2, 2)

    async with database.transaction() as session:
        assert await event_log.prune(session, now) == 1
    assert await _counts(database) == (1, 1)
    async with database.transaction(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(CallbackAttempt)) == 0
        (kept,) = (await session.scalars(select(Event))).all()
    assert kept.created_at == now

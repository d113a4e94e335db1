"""The delivery queue at the database: leases, lost attempts, and the fence on results."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from runflow.callbacks.attempt import AttemptResult, Verdict
from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.outbox import Delivery, Outbox
from runflow.callbacks.policy import RetryPolicy
from runflow.callbacks.queue import LOST_ATTEMPT, claim_due_deliveries, record_attempts
from runflow.callbacks.sender import CallbackSender, SenderConfig
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard
from tests.callbacks.helpers import signing_secret
from tests.callbacks.receiver import Receiver
from tests.engine.polling import eventually
from tests.webhooks.helpers import create_endpoint

POLICY = RetryPolicy(delays_s=(60.0,), timeout_s=1.0)
LEASE = timedelta(seconds=7)


async def _delivery(
    database: Database,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    *,
    due: datetime | None = None,
    endpoint_id: str | None = None,
) -> uuid.UUID:
    """A pending delivery of the caller's org, written through the outbox: a batch callback,
    or with `endpoint_id` an event's delivery to that endpoint."""
    org_id = (await client.get("/v1/account", headers=auth)).json()["org"]["id"]
    await signing_secret(client, auth)
    delivery = Delivery(
        uuid.UUID(org_id),
        "http://127.0.0.1:9/hook",
        b'{"event":"batch.succeeded"}',
        endpoint_id=None if endpoint_id is None else uuid.UUID(endpoint_id),
        event_id=None if endpoint_id is None else uuid.uuid4(),
    )
    async with database.transaction() as session:
        [delivery_id] = await Outbox(POLICY.max_attempts).add_many(
            session, [delivery], due or utcnow()
        )
    return delivery_id


async def _state(database: Database) -> CallbackDelivery:
    async with database.transaction(write=False) as session:
        statement = select(CallbackDelivery).options(selectinload(CallbackDelivery.attempts))
        return (await session.scalars(statement)).one()


async def test_a_claimed_delivery_is_hidden_until_its_lease_ends(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _delivery(database, client, auth)
    now = utcnow()
    async with database.transaction() as session:
        [first] = await claim_due_deliveries(session, limit=10, now=now, lease=LEASE)
    async with database.transaction() as session:
        assert await claim_due_deliveries(session, limit=10, now=now, lease=LEASE) == []

    assert first.attempt_number == 1
    assert first.body == b'{"event":"batch.succeeded"}'
    assert len(first.secrets) == 1
    delivery = await _state(database)
    assert delivery.attempt_count == 1
    assert delivery.lease_expires_at == now + LEASE


async def test_an_expired_lease_puts_the_lost_attempt_on_record_and_tries_again(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _delivery(database, client, auth)
    now = utcnow()
    async with database.transaction() as session:
        [lost] = await claim_due_deliveries(session, limit=10, now=now, lease=LEASE)
    later = now + LEASE + timedelta(seconds=1)
    async with database.transaction() as session:
        [retry] = await claim_due_deliveries(session, limit=10, now=later, lease=LEASE)
    # The first sender comes back from the dead: its result no longer counts.
    stale = AttemptResult(lost.delivery_id, lost.attempt_number, now, Verdict.DELIVERED)
    async with database.transaction() as session:
        assert await record_attempts(session, [stale], POLICY, later) == 0

    assert (lost.attempt_number, retry.attempt_number) == (1, 2)
    delivery = await _state(database)
    assert delivery.status_code == "pending"
    assert [(a.attempt_number, a.error_message) for a in delivery.attempts] == [(1, LOST_ATTEMPT)]


async def test_a_lost_last_attempt_ends_the_delivery_failed(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _delivery(database, client, auth)
    now = utcnow()
    for attempt in range(POLICY.max_attempts):
        async with database.transaction() as session:
            claimed = await claim_due_deliveries(
                session, limit=10, now=now + attempt * (LEASE + timedelta(seconds=1)), lease=LEASE
            )
        assert len(claimed) == 1
    after_all = now + POLICY.max_attempts * (LEASE + timedelta(seconds=1))
    async with database.transaction() as session:
        assert await claim_due_deliveries(session, limit=10, now=after_all, lease=LEASE) == []

    delivery = await _state(database)
    assert delivery.status_code == "failed"
    assert delivery.failure_reason_code == "RETRIES_EXHAUSTED"
    assert delivery.next_attempt_at is None
    assert delivery.attempt_count == POLICY.max_attempts  # the claim that gave up made none
    assert [a.attempt_number for a in delivery.attempts] == [1, 2]


async def test_a_claim_takes_callbacks_first_then_the_longest_due_events(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    endpoint = await create_endpoint(client, auth, "http://127.0.0.1:9/events")
    now = utcnow()
    events = [
        await _delivery(
            database, client, auth, due=now - timedelta(seconds=age), endpoint_id=endpoint["id"]
        )
        for age in (1, 30, 20, 10)
    ]
    callback = await _delivery(database, client, auth, due=now)
    not_yet = await _delivery(
        database, client, auth, due=now + timedelta(seconds=5), endpoint_id=endpoint["id"]
    )

    async with database.transaction() as session:
        first = await claim_due_deliveries(session, limit=3, now=now, lease=LEASE)
    async with database.transaction() as session:
        second = await claim_due_deliveries(session, limit=3, now=now, lease=LEASE)

    assert first[0].delivery_id == callback
    assert {o.delivery_id for o in first[1:]} == {events[1], events[2]}  # due 30 s and 20 s ago
    assert {o.delivery_id for o in second} == {events[3], events[0]}
    assert not_yet not in {o.delivery_id for o in first + second}
    assert {o.attempt_number for o in first + second} == {1}
    assert all(o.secrets for o in first + second)


async def test_a_claim_for_callbacks_only_leaves_the_events_lane_alone(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """What a sender claims when woken for a batch's callback alone: the endpoints' due
    deliveries wait for a claim that asks for them."""
    endpoint = await create_endpoint(client, auth, "http://127.0.0.1:9/events")
    event = await _delivery(database, client, auth, endpoint_id=endpoint["id"])
    callback = await _delivery(database, client, auth)
    now = utcnow()

    async with database.transaction() as session:
        woken = await claim_due_deliveries(session, limit=10, now=now, lease=LEASE, events=False)
    async with database.transaction() as session:
        polled = await claim_due_deliveries(session, limit=10, now=now, lease=LEASE)

    assert [o.delivery_id for o in woken] == [callback]
    assert [o.delivery_id for o in polled] == [event]


async def test_a_failed_attempt_is_scheduled_after_the_policys_delay(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _delivery(database, client, auth)
    now = utcnow()
    async with database.transaction() as session:
        [claimed] = await claim_due_deliveries(session, limit=10, now=now, lease=LEASE)
    failed = AttemptResult(
        claimed.delivery_id, 1, now, Verdict.RETRY, "HTTP_ERROR", status_code=500
    )
    async with database.transaction() as session:
        assert await record_attempts(session, [failed], POLICY, now) == 1

    delivery = await _state(database)
    assert delivery.status_code == "pending"
    assert delivery.lease_expires_at is None
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - now
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)  # 60 s ± 20 % jitter


async def test_the_outbox_stores_each_delivery_s_bytes_exactly(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Quotes, backslashes, escaped control characters and non-ASCII text: each body comes
    back as the bytes that were given, and a claim sends those bytes."""
    org_id = uuid.UUID((await client.get("/v1/account", headers=auth)).json()["org"]["id"])
    await signing_secret(client, auth)
    bodies = [
        b'{"message":"say \\"hi\\"","path":"C:\\\\x","tab":"\\t","nul":"\\u0000"}',
        '{"prompt":"caf\u00e9 \u2014 \u732b \U0001f408","raw":"\u00e9"}'.encode(),
        b"{}",
    ]
    now = utcnow()
    deliveries = [
        Delivery(org_id, f"http://127.0.0.1:9/hook/{n}", body) for n, body in enumerate(bodies)
    ]
    async with database.transaction() as session:
        ids = await Outbox(POLICY.max_attempts).add_many(session, deliveries, now)

    async with database.transaction(write=False) as session:
        statement = select(CallbackDelivery.id, CallbackDelivery.payload_bytes)
        stored = {id: body for id, body in await session.execute(statement)}
    assert [stored[delivery_id] for delivery_id in ids] == bodies
    async with database.transaction() as session:
        claimed = await claim_due_deliveries(session, limit=10, now=now, lease=LEASE)
    assert sorted(outgoing.body for outgoing in claimed) == sorted(bodies)


async def test_an_endpoint_at_its_limit_gets_the_rest_as_its_deliveries_end(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """An endpoint with `per_host` deliveries in flight is left out of claims; as they end,
    the sender claims its next ones at once — not at the next poll (an hour away here)."""
    config = SenderConfig(per_host=4, claim_chunk=10, poll_interval_s=3600.0)
    sender = CallbackSender(database, POLICY, EgressGuard(["127.0.0.0/8"]), config)
    async with Receiver() as receiver:
        endpoint_id = uuid.UUID((await create_endpoint(client, auth, receiver.url()))["id"])
        org_id = uuid.UUID((await client.get("/v1/account", headers=auth)).json()["org"]["id"])
        deliveries = [
            Delivery(org_id, receiver.url(), b"{}", endpoint_id=endpoint_id, event_id=uuid.uuid4())
            for _ in range(30)
        ]
        async with database.transaction() as session:
            # As another process writes them: nothing wakes this sender.
            await Outbox(POLICY.max_attempts).add_many(session, deliveries, utcnow())
        await sender.start()
        try:
            await eventually(lambda: _received(receiver, 30), timeout_s=30)
        finally:
            await sender.stop()

    assert len({request.webhook_id for request in receiver.received}) == 30


async def _received(receiver: Receiver, expected: int) -> bool:
    return len(receiver.received) >= expected

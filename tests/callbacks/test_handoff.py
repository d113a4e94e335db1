"""Endpoints' deliveries handed from the outbox to the sender of the same process: written
leased for their first attempt, sent without a claim once their transaction commits, never
if it rolls back; given back unsent, with no attempt on record, when they cannot start in
time or the sender stops first."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from standardwebhooks import Webhook
from structlog.testing import capture_logs

from runflow.callbacks.attempt import Outgoing
from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.outbox import Delivery, Outbox
from runflow.callbacks.policy import RetryPolicy
from runflow.callbacks.sender import CallbackSender, SenderConfig
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard
from tests.callbacks.receiver import Receiver, Reply
from tests.engine.polling import eventually
from tests.webhooks.helpers import create_endpoint

# Deliveries wait at most lease - timeout - 2 = timeout + 3 = 4 s for their start.
POLICY = RetryPolicy(delays_s=(60.0,), timeout_s=1.0)


class Rollback(Exception):
    pass


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def _endpoint(
    client: httpx.AsyncClient, auth: dict[str, str], url: str
) -> tuple[uuid.UUID, uuid.UUID, str]:
    """(org id, endpoint id, its secret) of a new endpoint on `*` at `url`."""
    endpoint = await create_endpoint(client, auth, url)
    org = (await client.get("/v1/account", headers=auth)).json()["org"]
    return uuid.UUID(org["id"]), uuid.UUID(endpoint["id"]), endpoint["secret"]


def _deliveries(org_id: uuid.UUID, endpoint_id: uuid.UUID, url: str, n: int) -> list[Delivery]:
    return [
        Delivery(
            org_id, url, f'{{"n":{i}}}'.encode(), endpoint_id=endpoint_id, event_id=uuid.uuid4()
        )
        for i in range(n)
    ]


def _handing_to(sender: CallbackSender) -> Outbox:
    """An outbox that hands endpoints' deliveries to `sender`, as a worker's does."""
    outbox = Outbox(POLICY.max_attempts)
    outbox.attach_sender(sender)
    return outbox


async def _write(database: Database, outbox: Outbox, deliveries: list[Delivery]) -> list[uuid.UUID]:
    async with database.transaction() as session:
        ids = await outbox.add_many(session, deliveries, utcnow())
    outbox.notify_sender()
    return ids


async def _write_then_roll_back(
    database: Database, outbox: Outbox, deliveries: list[Delivery]
) -> None:
    async with database.transaction() as session:
        await outbox.add_many(session, deliveries, utcnow())
        raise Rollback


async def _stored(database: Database) -> list[CallbackDelivery]:
    async with database.transaction(write=False) as session:
        statement = select(CallbackDelivery).options(selectinload(CallbackDelivery.attempts))
        return list(await session.scalars(statement))


def _sender(
    database: Database, policy: RetryPolicy = POLICY, *, per_host: int = 32
) -> CallbackSender:
    # Polls an hour apart: what is sent here was handed over, or claimed on a wake.
    config = SenderConfig(per_host=per_host, poll_interval_s=3600.0)
    return CallbackSender(database, policy, EgressGuard(["127.0.0.0/8"]), config)


async def test_committed_deliveries_are_handed_over_written_leased_and_sent_once(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    org_id, endpoint_id, secret = await _endpoint(client, auth, receiver.url())
    sender = _sender(database, per_host=2)
    outbox = _handing_to(sender)
    await sender.start()
    try:
        # An endpoint not tried yet gets as many as would start in time at the timeout's
        # pace: per_host × 4 s / 1 s / 2 = 4; the other 6 are written to be claimed.
        ids = await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 10))
        await eventually(lambda: _delivered(database, 10), timeout_s=30)
    finally:
        await sender.stop()

    stored = {delivery.id: delivery for delivery in await _stored(database)}
    assert set(stored) == set(ids)
    for delivery in stored.values():
        assert [attempt.attempt_number for attempt in delivery.attempts] == [1]
        assert delivery.attempt_count == 1
        assert delivery.lease_expires_at is None
    assert len(receiver.received) == 10
    verifier = Webhook(secret)
    bodies = sorted(verifier.verify(r.body, r.headers)["n"] for r in receiver.received)
    assert bodies == list(range(10))


async def test_handed_over_deliveries_sent_with_nothing_skipped_cost_no_claim(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    """An endpoint's queue here emptying wakes the sender for a claim only if some claim
    left the endpoint out meanwhile: otherwise that claim would find nothing (under a flood
    of events, one ran after every chunk). Wakes from elsewhere (notifications of other
    tests' processes, the listener connecting) are not counted, nor the claims they run."""
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    sender = _sender(database)
    passed_over = 0  # claims of the endpoints' lane run while the endpoint was left out
    woken_by_slots: list[str] = []
    claim, wake = sender._claim, sender.wake

    async def counted_claim(wanted: int, *, surely_due: bool, events: bool) -> list[Outgoing]:
        nonlocal passed_over
        passed_over += events and endpoint_id in sender._left_out()
        return await claim(wanted, surely_due=surely_due, events=events)

    def counted_wake(*, events: bool = True) -> None:
        caller = sys._getframe(1).f_code.co_name
        if caller in {"_claim_passed_over", "_start_waiting", "_release"}:
            woken_by_slots.append(caller)
        wake(events=events)

    sender._claim = counted_claim  # type: ignore[method-assign]
    sender.wake = counted_wake  # type: ignore[method-assign]
    outbox = _handing_to(sender)
    await sender.start()
    try:
        await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 5))
        await eventually(lambda: _delivered(database, 5), timeout_s=30)
    finally:
        await sender.stop()
    assert len(woken_by_slots) <= passed_over, woken_by_slots
    assert len(receiver.received) == 5


async def test_a_handed_over_delivery_is_leased_for_its_first_attempt_in_the_transaction(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    """What a claim would have left, so a sender that dies before sending leaves a delivery
    any sender takes up once the lease runs out."""
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    sender = _sender(database)
    outbox = _handing_to(sender)
    now = utcnow()
    seen: dict[str, tuple[int, datetime | None, datetime | None]] = {}

    async def write_and_read() -> None:
        async with database.transaction() as session:
            [handed] = await outbox.add_many(
                session, _deliveries(org_id, endpoint_id, receiver.url(), 1), now
            )
            callback = Delivery(org_id, receiver.url(), b"{}", is_automatic=False)
            [claimable] = await outbox.add_many(session, [callback], now)
            rows = await session.scalars(select(CallbackDelivery))
            stored = {d.id: (d.attempt_count, d.lease_expires_at, d.next_attempt_at) for d in rows}
            seen.update(handed=stored[handed], claimable=stored[claimable])
            raise Rollback  # nothing is handed over

    with pytest.raises(Rollback):
        await write_and_read()

    until = now + sender.lease
    assert seen["handed"] == (1, until, until)
    # A batch or run callback is always claimed: the callbacks' lane goes first.
    assert seen["claimable"] == (0, None, now)
    assert await _stored(database) == []


async def test_a_rolled_back_transaction_hands_over_nothing(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    sender = _sender(database)
    outbox = _handing_to(sender)
    await sender.start()
    try:
        lost = _deliveries(org_id, endpoint_id, receiver.url("/lost"), 3)
        with pytest.raises(Rollback):
            await _write_then_roll_back(database, outbox, lost)
        # Handed over in commit order: had the first been, it would have gone first.
        await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 1))
        await eventually(lambda: _delivered(database, 1), timeout_s=30)
    finally:
        await sender.stop()

    assert [request.path for request in receiver.received] == ["/hook"]
    assert len(await _stored(database)) == 1


async def test_deliveries_within_a_savepoint_are_left_to_claims(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    """A savepoint may roll back while its transaction commits: what it wrote is not handed
    over at that commit, but claimed if it is still there."""
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    sender = _sender(database)
    outbox = _handing_to(sender)
    async with database.transaction() as session, session.begin_nested():
        await outbox.add_many(
            session, _deliveries(org_id, endpoint_id, receiver.url(), 2), utcnow()
        )

    stored = await _stored(database)
    assert [(d.attempt_count, d.lease_expires_at) for d in stored] == [(0, None), (0, None)]


async def test_deliveries_that_cannot_start_in_time_are_given_back_unsent_and_claimed(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    """An endpoint that answered at once, then slows down: more were handed over than start
    within their lease. The late ones go back to the queue with no attempt on record, and
    are claimed and sent; each delivery is sent once, its one attempt numbered 1."""
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    # A 3 s timeout: handed-over deliveries must start within 11 - 3 - 2 = 6 s.
    sender = _sender(database, RetryPolicy(delays_s=(60.0,), timeout_s=3.0), per_host=1)
    outbox = _handing_to(sender)
    await sender.start()
    try:
        await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 1))
        await eventually(lambda: _delivered(database, 1), timeout_s=30)
        assert sender.allowance(endpoint_id) > 8  # at its pace so far, many fit
        # One at a time, 1.4 s each: the 6th would start at 7 s, too late. Those given back
        # are claimed and answered at once (or, should the machine be slow enough that the
        # 5th is given back too, one takes the last slow answer, well within the timeout).
        receiver.script(*[Reply(delay_s=1.4)] * 5)
        with capture_logs() as logs:
            await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 8))
            await eventually(lambda: _delivered(database, 9), timeout_s=60)
    finally:
        await sender.stop()

    given_back = [log["n"] for log in logs if log["event"] == "handed_deliveries_given_back"]
    assert sum(given_back) >= 1
    stored = await _stored(database)
    for delivery in stored:
        assert [attempt.attempt_number for attempt in delivery.attempts] == [1]
    assert len({request.headers["webhook-id"] for request in receiver.received}) == 9
    assert len(receiver.received) == 9


async def test_a_stopping_sender_gives_back_what_waits_and_another_sends_it(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    receiver.default = Reply(delay_s=0.3)
    first = _sender(database, per_host=1)
    outbox = _handing_to(first)
    await first.start()
    await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 4))
    await first.stop(grace_s=5.0)  # the one in flight ends; the others never started

    stored = await _stored(database)
    unsent = [d for d in stored if not d.attempts]
    assert unsent, "some deliveries were still waiting"
    for delivery in unsent:
        assert (delivery.status_code, delivery.attempt_count) == ("pending", 0)
        assert delivery.lease_expires_at is None

    receiver.default = Reply()
    second = _sender(database)
    await second.start()  # its first claim takes what the first gave back
    try:
        await eventually(lambda: _delivered(database, 4), timeout_s=30)
    finally:
        await second.stop()
    assert len({request.headers["webhook-id"] for request in receiver.received}) == 4
    for delivery in await _stored(database):
        assert [attempt.attempt_number for attempt in delivery.attempts] == [1]


async def test_deliveries_a_claim_took_as_the_sender_stopped_go_back_unsent(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    """A stop that begins while a claim is in the database waits for no attempt the claim
    then returns: started anyway, they would be cut off at once and recorded interrupted."""
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    await _write(
        database, Outbox(POLICY.max_attempts), _deliveries(org_id, endpoint_id, receiver.url(), 3)
    )
    sender = _sender(database)
    claiming, go_on = asyncio.Event(), asyncio.Event()
    claim = sender._claim

    async def claim_held_until_the_stop_began(
        wanted: int, *, surely_due: bool, events: bool
    ) -> list[Outgoing]:
        claiming.set()
        await go_on.wait()
        return await claim(wanted, surely_due=surely_due, events=events)

    sender._claim = claim_held_until_the_stop_began  # type: ignore[method-assign]
    await sender.start()  # its first claim takes the three, and is held
    await asyncio.wait_for(claiming.wait(), 30)
    stopping = asyncio.create_task(sender.stop(grace_s=5.0))

    async def stop_began() -> bool:
        return sender._stopping

    await eventually(stop_began, timeout_s=30)
    go_on.set()
    await stopping

    assert receiver.received == []
    stored = await _stored(database)
    assert len(stored) == 3
    for delivery in stored:
        assert delivery.attempts == []
        assert (delivery.status_code, delivery.attempt_count) == ("pending", 0)
        assert delivery.lease_expires_at is None


async def test_a_stopping_sender_gives_an_attempt_in_flight_only_its_grace(
    database: Database, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    """A receiver that does not answer for a minute, an attempt timeout of two: the stop
    waits its grace, not the attempt. The attempt is on record as interrupted, due again at
    once, and the next sender delivers it with the same `webhook-id`."""
    org_id, endpoint_id, _ = await _endpoint(client, auth, receiver.url())
    receiver.script(Reply(delay_s=60.0))
    first = _sender(database, RetryPolicy(delays_s=(60.0,), timeout_s=120.0))
    outbox = _handing_to(first)
    await first.start()
    await _write(database, outbox, _deliveries(org_id, endpoint_id, receiver.url(), 1))
    await eventually(lambda: _arrived(receiver, 1), timeout_s=30)
    # Were the grace ignored, the stop would wait out the receiver's minute.
    await asyncio.wait_for(first.stop(grace_s=0.2), timeout=30)

    [stored] = await _stored(database)
    assert stored.status_code == "pending"
    assert [(a.attempt_number, a.status_code, a.error_message) for a in stored.attempts] == [
        (1, None, "The sender shut down before the receiver answered.")
    ]
    assert stored.next_attempt_at is not None
    assert stored.next_attempt_at <= utcnow()
    second = _sender(database)
    await second.start()
    try:
        await eventually(lambda: _delivered(database, 1), timeout_s=30)
    finally:
        await second.stop()
    assert [request.webhook_id for request in receiver.received] == [str(stored.event_id)] * 2


async def _arrived(receiver: Receiver, expected: int) -> bool:
    return len(receiver.received) >= expected


async def _delivered(database: Database, expected: int) -> bool:
    stored = await _stored(database)
    return sum(delivery.status_code == "succeeded" for delivery in stored) >= expected

"""The transactional outbox: a delivery row written in the transaction that ends a batch or run.

Whoever makes a batch (or a lone run with a `callback_url`) terminal calls `Outbox` in that same
transaction, so the callback exists if and only if the terminal state was committed — and the
partial unique index on `(batch_id) WHERE is_automatic` keeps it to one per batch.

In a process with a sender, an endpoint's deliveries are handed to that sender: written already
leased for their first attempt, as a claim would leave them, and passed over once the
transaction commits (never if it rolls back). A chunk of completions then sends its events
without a claim reading back what it just wrote. Should the process die first, the leases run
out and any sender takes the deliveries up, as after a claim.

A process without a sender (`RUNFLOW_SENDER=off`, or an API-only one) `NOTIFY`s the senders
of the others on PostgreSQL instead, so its deliveries wait for no poll.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.callbacks.attempt import Outgoing
from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.policy import RetryPolicy
from runflow.config import Settings
from runflow.db.engine import after_commit
from runflow.kit.ids import new_id
from runflow.webhooks.service import endpoint_secrets

PENDING = "pending"
# Senders `LISTEN` here (PostgreSQL); the payload names the lane: "callbacks" or "events".
SENDERS_CHANNEL = "runflow_deliveries"
_WAKE_SENDERS = text(f"SELECT pg_notify('{SENDERS_CHANNEL}', :lane)")
_deliveries = cast(Table, CallbackDelivery.__table__)


class LocalSender(Protocol):
    """The sender of this process, as the outbox sees it."""

    lease: timedelta

    def wake(self, *, events: bool) -> None:
        """Deliveries were committed: claim now. `events`: some are endpoints' deliveries."""

    def allowance(self, endpoint_id: uuid.UUID) -> int:
        """How many more of the endpoint's deliveries it can take now, to start in time."""

    def hand_off(self, outgoing: Sequence[Outgoing]) -> None:
        """Committed deliveries, leased for their first attempt: to send."""


class Outbox:
    def __init__(
        self,
        max_attempts: int,
        *,
        public_url: str = "http://127.0.0.1:8000",
        media_url_ttl: timedelta = timedelta(days=7),
    ) -> None:
        self.max_attempts = max_attempts
        # What an event's data needs to show media as their GET does: signed content URLs.
        self.public_url = public_url
        self.media_url_ttl = media_url_ttl
        self._sender: LocalSender | None = None
        self._written = False
        self._events_written = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbox:
        return cls(
            RetryPolicy.from_settings(settings).max_attempts,
            public_url=settings.resolved_public_url,
            media_url_ttl=timedelta(seconds=settings.media_url_ttl_s),
        )

    def attach_sender(self, sender: LocalSender) -> None:
        """Endpoints' deliveries written in this process go straight to `sender`."""
        self._sender = sender

    def notify_sender(self) -> None:
        """Call after committing: wakes this process's sender if a delivery was written for
        it to claim. Only a hint — senders in other processes find the row on their next poll."""
        if self._written and self._sender is not None:
            events = self._events_written
            self._written = self._events_written = False
            self._sender.wake(events=events)

    async def add(
        self,
        session: AsyncSession,
        *,
        org_id: uuid.UUID,
        callback_url: str,
        payload_bytes: bytes,
        now: datetime,
        batch_id: uuid.UUID | None = None,
        run_id: uuid.UUID | None = None,
        is_automatic: bool = True,
        event_type: str | None = None,
    ) -> uuid.UUID:
        delivery = Delivery(
            org_id, callback_url, payload_bytes, batch_id, run_id, is_automatic, event_type
        )
        (delivery_id,) = await self.add_many(session, [delivery], now)
        return delivery_id

    async def add_many(
        self, session: AsyncSession, deliveries: Sequence[Delivery], now: datetime
    ) -> list[uuid.UUID]:
        """One statement for any number of deliveries (a completion chunk can end many
        batches)."""
        if not deliveries:
            return []
        handed = self._to_hand_off(session, deliveries)
        rows: list[dict[str, Any]] = [
            {
                "id": new_id(),
                "org_id": delivery.org_id,
                "batch_id": delivery.batch_id,
                "run_id": delivery.run_id,
                "callback_url": delivery.callback_url,
                "payload_bytes": delivery.payload_bytes,
                "is_automatic": delivery.is_automatic,
                "endpoint_id": delivery.endpoint_id,
                "event_id": delivery.event_id,
                "event_type": delivery.event_type,
                "status_code": PENDING,
                "attempt_count": 0,
                "max_attempts": self.max_attempts,
                "next_attempt_at": now,
                "lease_expires_at": None,
                "created_at": now,
                "updated_at": now,
            }
            for delivery in deliveries
        ]
        if handed:
            assert self._sender is not None
            until = now + self._sender.lease
            for index in handed:  # as a claim leaves them: leased for attempt 1
                rows[index] |= {
                    "attempt_count": 1,
                    "next_attempt_at": until,
                    "lease_expires_at": until,
                }
        await session.execute(insert(_deliveries), rows)  # Core: no ORM bulk path
        if handed:
            await self._hand_off(
                session, [(deliveries[i], rows[i]["id"]) for i in sorted(handed)], now
            )
        claimable = [delivery for i, delivery in enumerate(deliveries) if i not in handed]
        events = any(delivery.endpoint_id is not None for delivery in claimable)
        if claimable:
            self._written = True
            self._events_written = self._events_written or events
            if self._sender is None and session.get_bind().dialect.name == "postgresql":
                await session.execute(_WAKE_SENDERS, {"lane": "events" if events else "callbacks"})
        return [row["id"] for row in rows]

    def _to_hand_off(self, session: AsyncSession, deliveries: Sequence[Delivery]) -> set[int]:
        """Which of `deliveries` (their indexes) this process's sender takes: endpoints'
        deliveries, as many as it can start in time. None within a savepoint, which may roll
        back while its transaction commits."""
        if self._sender is None or session.in_nested_transaction():
            return set()
        room: Counter[uuid.UUID] = Counter()
        handed: set[int] = set()
        for index, delivery in enumerate(deliveries):
            endpoint_id = delivery.endpoint_id
            if endpoint_id is None:
                continue
            if endpoint_id not in room:
                room[endpoint_id] = self._sender.allowance(endpoint_id)
            if room[endpoint_id] > 0:
                room[endpoint_id] -= 1
                handed.add(index)
        return handed

    async def _hand_off(
        self, session: AsyncSession, handed: list[tuple[Delivery, uuid.UUID]], now: datetime
    ) -> None:
        """Pass `handed` to the sender once this transaction commits, signed with the secrets
        its endpoints have in it."""
        assert self._sender is not None
        endpoints = {delivery.endpoint_id for delivery, _ in handed}
        secrets = {
            endpoint_id: tuple((secret.id, secret.secret) for secret in signing)
            for endpoint_id, signing in (
                await endpoint_secrets(session, [e for e in endpoints if e is not None], now)
            ).items()
        }
        outgoing = [
            Outgoing(
                delivery_id=delivery_id,
                attempt_number=1,
                callback_url=delivery.callback_url,
                body=delivery.payload_bytes,
                secrets=secrets.get(delivery.endpoint_id, ()) if delivery.endpoint_id else (),
                max_attempts=self.max_attempts,
                event_id=delivery.event_id,
                endpoint_id=delivery.endpoint_id,
            )
            for delivery, delivery_id in handed
        ]
        sender = self._sender
        after_commit(session, lambda: sender.hand_off(outgoing))


@dataclass(frozen=True)
class Delivery:
    """A callback to queue: where it goes and the bytes it carries; for an endpoint's
    delivery, the endpoint and the event (whose id is its `webhook-id`)."""

    org_id: uuid.UUID
    callback_url: str
    payload_bytes: bytes
    batch_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    is_automatic: bool = True
    event_type: str | None = None
    endpoint_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None

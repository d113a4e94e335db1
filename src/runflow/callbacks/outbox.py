"""The transactional outbox: a delivery row written in the transaction that ends a batch or run.

Whoever makes a batch (or a lone run with a `callback_url`) terminal calls `Outbox` in that same
transaction, so the callback exists if and only if the terminal state was committed — and the
partial unique index on `(batch_id) WHERE is_automatic` keeps it to one per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.policy import RetryPolicy
from runflow.config import Settings
from runflow.kit.ids import new_id

PENDING = "pending"
_deliveries = cast(Table, CallbackDelivery.__table__)


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
        self._wake_sender: Callable[[bool], None] | None = None
        self._written = False
        self._events_written = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbox:
        return cls(
            RetryPolicy.from_settings(settings).max_attempts,
            public_url=settings.resolved_public_url,
            media_url_ttl=timedelta(seconds=settings.media_url_ttl_s),
        )

    def attach_sender(self, wake: Callable[[bool], None]) -> None:
        """`wake(events)`: whether deliveries to endpoints were among those written."""
        self._wake_sender = wake

    def notify_sender(self) -> None:
        """Call after committing: wakes this process's sender if a delivery was written.
        Only a hint — senders in other processes find the row on their next poll."""
        if self._written and self._wake_sender is not None:
            events = self._events_written
            self._written = self._events_written = False
            self._wake_sender(events)

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
                "created_at": now,
                "updated_at": now,
            }
            for delivery in deliveries
        ]
        await session.execute(insert(_deliveries), rows)  # Core: no ORM bulk path
        self._written = True
        if any(delivery.endpoint_id is not None for delivery in deliveries):
            self._events_written = True
        return [row["id"] for row in rows]


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

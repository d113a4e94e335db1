"""The transactional outbox: a delivery row written in the transaction that ends a batch or run.

Whoever makes a batch (or a lone run with a `callback_url`) terminal calls `Outbox` in that same
transaction, so the callback exists if and only if the terminal state was committed — and the
partial unique index on `(batch_id) WHERE is_automatic` keeps it to one per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.callbacks.models import CallbackDelivery
from runflow.kit.ids import new_id

PENDING = "pending"
_deliveries = cast(Table, CallbackDelivery.__table__)


class Outbox:
    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts
        self._wake_sender: Callable[[], None] | None = None
        self._written = False

    def attach_sender(self, wake: Callable[[], None]) -> None:
        self._wake_sender = wake

    def notify_sender(self) -> None:
        """Call after committing: wakes this process's sender if a delivery was written.
        Only a hint — senders in other processes find the row on their next poll."""
        if self._written and self._wake_sender is not None:
            self._written = False
            self._wake_sender()

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
    ) -> uuid.UUID:
        delivery_id = new_id()
        values: dict[str, Any] = {
            "id": delivery_id,
            "org_id": org_id,
            "batch_id": batch_id,
            "run_id": run_id,
            "callback_url": callback_url,
            "payload_bytes": payload_bytes,
            "is_automatic": is_automatic,
            "status_code": PENDING,
            "attempt_count": 0,
            "max_attempts": self.max_attempts,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        await session.execute(insert(_deliveries), values)  # Core: one row, no ORM bulk path
        self._written = True
        return delivery_id

"""One batch, one automatic callback: also when cancels race the last completions."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from runflow.callbacks.models import CallbackDelivery
from runflow.db.engine import Database
from tests.callbacks.helpers import batch_with_callback, finished_delivery
from tests.callbacks.receiver import Receiver

pytestmark = pytest.mark.engine(worker_concurrency=16, callback_retry_delays=(0.1,))


async def test_cancels_racing_completions_leave_one_automatic_delivery_per_batch(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    async with Receiver() as receiver:
        batches = [
            await batch_with_callback(
                client,
                auth,
                receiver.url(),
                items=[{"message": str(i), "delay_ms": 10 * (n % 7 + i)} for i in range(4)],
            )
            for n in range(30)
        ]

        async def cancel_later(batch_id: str, after_s: float) -> int:
            await asyncio.sleep(after_s)
            response = await client.post(f"/v1/batches/{batch_id}/cancel", headers=auth)
            return response.status_code

        outcomes = await asyncio.gather(
            *(cancel_later(b["id"], 0.01 * (n % 9)) for n, b in enumerate(batches) if n % 2)
        )
        assert set(outcomes) <= {200, 409}
        deliveries = [await finished_delivery(client, auth, b["id"]) for b in batches]

    assert {d["status_code"] for d in deliveries} == {"succeeded"}
    per_message = Counter(r.webhook_id for r in receiver.received)
    assert per_message == Counter({d["id"]: 1 for d in deliveries})
    async with database.transaction(write=False) as session:
        rows = await session.execute(
            select(CallbackDelivery.batch_id, func.count())
            .where(CallbackDelivery.is_automatic.is_(True))
            .group_by(CallbackDelivery.batch_id)
        )
        per_batch = {batch_id: count for batch_id, count in rows}
    assert per_batch == {uuid.UUID(b["id"]): 1 for b in batches}

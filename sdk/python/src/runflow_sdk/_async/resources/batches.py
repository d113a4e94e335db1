"""Asynchronous resource: batches of 1–100 runs of one model."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._async.streams import stream_events
from runflow_sdk._async.waiting import wait_until_ended
from runflow_sdk._events import BATCH_ENDED, BatchProgress, StreamEvent
from runflow_sdk._operations import operation
from runflow_sdk._options import model_path, query
from runflow_sdk.types import (
    Batch,
    BatchCreated,
    BatchItemRow,
    BatchSummary,
    CallbackDeliveryRead,
    CostEstimate,
)

Id = str | uuid.UUID


class AsyncBatches(AsyncResource):
    @operation("createBatch")
    async def create(
        self,
        model: str,
        *,
        input: Sequence[dict[str, Any]],
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> BatchCreated:
        """Run `model` (`owner/slug`) on 1–100 inputs; each may carry a `client_ref`.
        Retries reuse one `Idempotency-Key` (yours, or one made for this call)."""
        body = query(input=list(input), metadata=metadata, callback_url=callback_url)
        path = f"{model_path(model)}/batches"
        return await self._client.create(BatchCreated, path, body, idempotency_key)

    @operation("estimateBatch")
    async def estimate(self, model: str, *, input: Sequence[dict[str, Any]]) -> CostEstimate:
        """What a batch of these inputs would cost, without creating it."""
        return await self._client.request(
            CostEstimate,
            "POST",
            f"{model_path(model)}/batches/estimate",
            json={"input": list(input)},
            retry_safe=True,
        )

    @operation("getBatch")
    async def get(self, batch_id: Id) -> Batch:
        """A batch with its counters, cost and lean items."""
        return await self._client.request(Batch, "GET", f"/v1/batches/{batch_id}")

    @operation("listBatches")
    def list(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        embed: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[BatchSummary]:
        """This organization's batches, newest first; iterate for every page."""
        return self._pager(
            "/v1/batches",
            BatchSummary,
            q=q,
            sort_by=sort_by,
            fields=fields,
            embed=embed,
            limit=limit,
        )

    @operation("listBatchItems")
    def items(
        self,
        batch_id: Id,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        embed: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[BatchItemRow]:
        """A batch's items with the live state of their runs (`embed="run"` inlines the run)."""
        return self._pager(
            f"/v1/batches/{batch_id}/items",
            BatchItemRow,
            q=q,
            sort_by=sort_by,
            fields=fields,
            embed=embed,
            limit=limit,
        )

    @operation("cancelBatch")
    async def cancel(self, batch_id: Id) -> Batch:
        """Cancel the batch's queued and running items (a no-op once it has ended)."""
        return await self._client.request(
            Batch, "POST", f"/v1/batches/{batch_id}/cancel", retry_safe=True
        )

    @operation("retryBatch")
    async def retry(
        self,
        batch_id: Id,
        *,
        status_codes: Sequence[str] | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> Batch:
        """A new batch of the ended batch's failed (or `status_codes`) items."""
        body = query(
            status_codes=list(status_codes) if status_codes else None, callback_url=callback_url
        )
        return await self._client.create(
            Batch, f"/v1/batches/{batch_id}/retry", body, idempotency_key
        )

    @operation("getBatchCallback")
    async def callback(self, batch_id: Id) -> builtins.list[CallbackDeliveryRead]:
        """The batch's callback deliveries, each with every attempt."""
        return await self._client.request(
            builtins.list[CallbackDeliveryRead], "GET", f"/v1/batches/{batch_id}/callback"
        )

    @operation("redeliverBatchCallback")
    async def redeliver_callback(
        self, batch_id: Id, *, idempotency_key: str | None = None
    ) -> CallbackDeliveryRead:
        """Send the ended batch's callback again, as a new delivery."""
        return await self._client.create(
            CallbackDeliveryRead,
            f"/v1/batches/{batch_id}/callback/redeliver",
            None,
            idempotency_key,
        )

    @operation("streamBatchEvents")
    def events(
        self, batch_id: Id, *, last_event_id: str | None = None
    ) -> AsyncIterator[StreamEvent]:
        """The batch's live events: `snapshot`, `item`, `progress`, then `batch.<status>`.
        A cut stream resumes from the last event received."""
        return stream_events(
            self._client, f"/v1/batches/{batch_id}/events", last_event_id=last_event_id
        )

    async def wait(
        self,
        batch_id: Id,
        *,
        on_progress: Callable[[BatchProgress], object] | None = None,
        timeout: float | None = None,
        poll_interval: float = 1.0,
    ) -> Batch:
        """Return the batch once it has ended, following its event stream (or, if the stream
        cannot be read, polling every `poll_interval` s). `on_progress` gets its counters as
        they move; `timeout` (seconds) raises `WaitTimeoutError`."""

        def report(seen: StreamEvent | Batch) -> None:
            if on_progress is None:
                return
            if isinstance(seen, StreamEvent):
                if seen.event != "item":
                    on_progress(BatchProgress.of(seen.data))
            else:
                on_progress(BatchProgress.of(seen))

        return await wait_until_ended(
            f"Batch {batch_id}",
            self,
            batch_id,
            ended=lambda batch: batch.status_code in BATCH_ENDED,
            on_event=report,
            timeout=timeout,
            poll_interval=poll_interval,
        )

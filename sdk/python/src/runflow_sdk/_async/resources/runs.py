"""Asynchronous resource: single runs, their logs, node runs and events."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._async.streams import stream_events
from runflow_sdk._async.waiting import wait_until_ended
from runflow_sdk._events import RUN_ENDED, StreamEvent
from runflow_sdk._operations import operation
from runflow_sdk._options import model_path, query
from runflow_sdk.types import (
    CostEstimate,
    NodeRunRead,
    RunCallbackDeliveryRead,
    RunLogRead,
    RunRead,
)

Id = str | uuid.UUID


class AsyncRuns(AsyncResource):
    @operation("createRun")
    async def create(
        self,
        model: str,
        *,
        input: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        client_ref: str | None = None,
        idempotency_key: str | None = None,
    ) -> RunRead:
        """Run `model` (`owner/slug`) once on `input`."""
        body = query(
            input=input, metadata=metadata, callback_url=callback_url, client_ref=client_ref
        )
        return await self._client.create(
            RunRead, f"{model_path(model)}/runs", body, idempotency_key
        )

    @operation("estimateRun")
    async def estimate(self, model: str, *, input: dict[str, Any]) -> CostEstimate:
        """What one run on `input` would cost, without creating it."""
        return await self._client.request(
            CostEstimate,
            "POST",
            f"{model_path(model)}/runs/estimate",
            json={"input": input},
            retry_safe=True,
        )

    @operation("getRun")
    async def get(self, run_id: Id) -> RunRead:
        """A run with its input, output, cost and error."""
        return await self._client.request(RunRead, "GET", f"/v1/runs/{run_id}")

    @operation("listRuns")
    def list(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        embed: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[RunRead]:
        """This organization's runs; iterate for every page."""
        return self._pager(
            "/v1/runs", RunRead, q=q, sort_by=sort_by, fields=fields, embed=embed, limit=limit
        )

    @operation("cancelRun")
    async def cancel(self, run_id: Id) -> RunRead:
        """Cancel a queued or running run (a no-op once it has ended)."""
        return await self._client.request(
            RunRead, "POST", f"/v1/runs/{run_id}/cancel", retry_safe=True
        )

    @operation("rerunRun")
    async def rerun(
        self,
        run_id: Id,
        *,
        input: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> RunRead:
        """A new run of the same model on the stored input, with `input`'s overrides."""
        body = query(input=input, metadata=metadata, callback_url=callback_url)
        return await self._client.create(RunRead, f"/v1/runs/{run_id}/rerun", body, idempotency_key)

    @operation("getRunLogs")
    def logs(
        self,
        run_id: Id,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[RunLogRead]:
        """The run's log lines, oldest first."""
        return self._pager(
            f"/v1/runs/{run_id}/logs",
            RunLogRead,
            q=q,
            sort_by=sort_by,
            fields=None,
            embed=None,
            limit=limit,
        )

    @operation("getRunNodeRuns")
    def node_runs(
        self,
        run_id: Id,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[NodeRunRead]:
        """The run's node runs (one per step of a workflow), in order."""
        return self._pager(
            f"/v1/runs/{run_id}/node-runs",
            NodeRunRead,
            q=q,
            sort_by=sort_by,
            fields=None,
            embed=None,
            limit=limit,
        )

    @operation("getRunCallback")
    async def callback(self, run_id: Id) -> builtins.list[RunCallbackDeliveryRead]:
        """The run's callback deliveries, each with every attempt."""
        return await self._client.request(
            builtins.list[RunCallbackDeliveryRead], "GET", f"/v1/runs/{run_id}/callback"
        )

    @operation("streamRunEvents")
    def events(self, run_id: Id, *, last_event_id: str | None = None) -> AsyncIterator[StreamEvent]:
        """The run's live events: `snapshot`, `progress`, then `run.<status>`."""
        return stream_events(self._client, f"/v1/runs/{run_id}/events", last_event_id=last_event_id)

    async def wait(
        self,
        run_id: Id,
        *,
        on_progress: Callable[[dict[str, Any]], object] | None = None,
        timeout: float | None = None,
        poll_interval: float = 1.0,
    ) -> RunRead:
        """Return the run once it has ended, following its event stream (polling when the
        stream cannot be read). `on_progress` gets the run's `context` as it changes;
        `timeout` (seconds) raises `WaitTimeoutError`."""

        def report(seen: StreamEvent | RunRead) -> None:
            if on_progress and isinstance(seen, StreamEvent) and seen.event == "progress":
                on_progress(seen.data)

        return await wait_until_ended(
            f"Run {run_id}",
            self,
            run_id,
            ended=lambda run: run.status_code in RUN_ENDED,
            on_event=report,
            timeout=timeout,
            poll_interval=poll_interval,
        )

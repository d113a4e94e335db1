"""The event streams of a batch and of a run (DESIGN §17), read from the database each time
their ids change (`changes.py`).

A batch stream: `snapshot` (the batch as `GET /v1/batches/{id}` returns it), an `item` event
as each item ends (its handle, cost and error), `progress` when the counters move, and the
terminal `batch.<status>` event, after which it closes. Items are at most 100, so each read
takes every ended item and sends those not yet sent: however commits of several workers
interleave, none is missed or sent twice. An event's id says which items were sent (a bitmap,
in hex), so a client reconnecting with `Last-Event-ID` gets exactly the rest.

A run stream: `snapshot` (the run), `progress` whenever its `context` changes, and the
terminal `run.<status>` event (the run), then it closes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sse_starlette import ServerSentEvent

from runflow.auth.dependencies import Principal
from runflow.batches import service as batches
from runflow.batches.lifecycle import error_of
from runflow.batches.models import BatchItem, BatchStatus
from runflow.batches.schemas import BatchRead
from runflow.db.engine import Database
from runflow.kit.money import format_money
from runflow.live.changes import Changes
from runflow.runs import service as runs
from runflow.runs.models import Run, RunStatus

_ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
# Reads at most this often while a batch is busy: a finishing batch notifies every few ms.
_MIN_READ_INTERVAL_S = 0.05


@dataclass
class _Sent:
    """The items a client already has, as a bitmap over their sequence indexes."""

    bits: int = 0

    @classmethod
    def parse(cls, last_event_id: str | None) -> _Sent | None:
        if not last_event_id:
            return None
        try:
            return cls(int(last_event_id, 16))
        except ValueError:
            return None

    def has(self, index: int) -> bool:
        return bool(self.bits >> index & 1)

    def add(self, index: int) -> None:
        self.bits |= 1 << index

    @property
    def event_id(self) -> str:
        return format(self.bits, "x")


def _event(name: str, data: str, event_id: str) -> ServerSentEvent:
    return ServerSentEvent(data=data, event=name, id=event_id)


async def batch_events(
    database: Database,
    changes: Changes,
    principal: Principal,
    batch_id: uuid.UUID,
    last_event_id: str | None,
) -> AsyncIterator[ServerSentEvent]:
    resumed = _Sent.parse(last_event_id)
    sent = resumed or _Sent()
    counters: tuple[Any, ...] | None = None
    with changes.watch(batch_id) as changed:
        while True:
            changed.clear()  # before reading: a change during the read wakes the next one
            async with database.transaction(write=False) as session:
                batch = await batches.read_batch(session, principal, batch_id)
                ended = (
                    await session.execute(
                        select(
                            BatchItem.id,
                            BatchItem.sequence_index,
                            BatchItem.client_ref,
                            BatchItem.run_id,
                            Run.status_code,
                            Run.cost,
                            Run.failure_code,
                            Run.failure_message,
                            Run.failure_stage_code,
                        )
                        .join(Run, Run.id == BatchItem.run_id)
                        .where(BatchItem.batch_id == batch_id, Run.status_code.in_(_ENDED))
                        .order_by(BatchItem.sequence_index)
                    )
                ).all()
            if resumed is None and counters is None:
                for row in ended:  # the snapshot holds them already
                    sent.add(row.sequence_index)
                yield _event("snapshot", batch.model_dump_json(), sent.event_id)
            for row in ended:
                if sent.has(row.sequence_index):
                    continue
                sent.add(row.sequence_index)
                yield _event("item", _item_json(row), sent.event_id)
            now = (
                batch.status_code,
                batch.items_succeeded,
                batch.items_failed,
                batch.items_cancelled,
                batch.cost,
            )
            if now != counters and counters is not None:
                yield _event("progress", _progress_json(batch), sent.event_id)
            counters = now
            if batch.status_code and BatchStatus(batch.status_code).is_terminal:
                yield _event(f"batch.{batch.status_code}", batch.model_dump_json(), "end")
                return
            await changed.wait()
            await asyncio.sleep(_MIN_READ_INTERVAL_S)


def _item_json(row: Any) -> str:
    return _json(
        {
            "id": str(row.id),
            "sequence_index": row.sequence_index,
            "client_ref": row.client_ref,
            "run_id": str(row.run_id),
            "status_code": row.status_code,
            "cost": format_money(row.cost) if row.cost is not None else None,
            "error": error_of(row.failure_code, row.failure_message, row.failure_stage_code),
        }
    )


def _progress_json(batch: BatchRead) -> str:
    return _json(
        {
            "status_code": batch.status_code,
            "items_total": batch.items_total,
            "items_succeeded": batch.items_succeeded,
            "items_failed": batch.items_failed,
            "items_cancelled": batch.items_cancelled,
            "cost": format_money(batch.cost) if batch.cost is not None else None,
        }
    )


async def run_events(
    database: Database,
    changes: Changes,
    principal: Principal,
    run_id: uuid.UUID,
    batch_id: uuid.UUID | None,
    last_event_id: str | None,
) -> AsyncIterator[ServerSentEvent]:
    # A batch's cancel announces the batch: its runs' streams watch it too.
    watched = (run_id,) if batch_id is None else (run_id, batch_id)
    resuming = last_event_id is not None and last_event_id.isdigit()
    version = int(last_event_id) if last_event_id and resuming else 0
    context: dict[str, Any] | None = None
    first = True
    with changes.watch(*watched) as changed:
        while True:
            changed.clear()
            async with database.transaction(write=False) as session:
                run = await runs.read_run(session, principal, run_id)
            if first and not resuming:
                yield _event("snapshot", run.model_dump_json(), str(version))
            elif run.context is not None and run.context != context:
                version += 1
                yield _event("progress", _json(run.context), str(version))
            first, context = False, run.context
            if RunStatus(run.status_code).is_terminal:
                yield _event(f"run.{run.status_code}", run.model_dump_json(), "end")
                return
            await changed.wait()
            await asyncio.sleep(_MIN_READ_INTERVAL_S)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()

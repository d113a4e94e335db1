"""What each domain's events carry: the resource as its GET shows it, rendered only for the
events some endpoint wants (DESIGN §15).

Called inside the transaction that makes the thing happen — a completion chunk, a cancel, a
create, an upload — so the event and its deliveries commit or roll back with it. Each call
reads the subscriptions of the orgs involved once; the resources are read and rendered, one
query per kind, only when somebody is listening.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import cast

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Table, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from runflow.batches import repository as batches
from runflow.batches.models import Batch
from runflow.batches.schemas import BatchItemHandle, BatchRead
from runflow.batches.shape import batch_read
from runflow.callbacks.outbox import Outbox
from runflow.catalog.builtin import IMAGE_QUALITY
from runflow.catalog.models import Model
from runflow.catalog.specs import BUILTIN_OWNER
from runflow.engine.models import NodeRun, RunLog
from runflow.evaluations.schemas import EvaluationRead
from runflow.evaluations.shape import ImageUrls, evaluation_read
from runflow.keyring.service import service_secret
from runflow.media.signing import MEDIA_URL_SECRET, UrlSigner
from runflow.runs.models import Run
from runflow.runs.schemas import RunRead
from runflow.runs.shape import run_links
from runflow.webhooks.catalogue import RUN_ENDED, EventType
from runflow.webhooks.events import NewEvent, record_events, subscriptions

_RUN_TYPES = (*RUN_ENDED, EventType.EVALUATION_COMPLETED)
_HANDLES = TypeAdapter(list[BatchItemHandle])
# Events' data straight to JSON, by the same serializers the API's responses use.
_RUN_JSON = TypeAdapter(RunRead)
_BATCH_JSON = TypeAdapter(BatchRead)
_EVALUATION_JSON = TypeAdapter(EvaluationRead)
_runs = cast(Table, Run.__table__)
_RUN_COLUMNS = list(_runs.c)


async def publish_run_endings(
    session: AsyncSession,
    outbox: Outbox,
    ended: Collection[tuple[uuid.UUID, uuid.UUID]],
    now: datetime,
) -> None:
    """`run.<status>` for each of `ended` — (run id, org id) of runs that just turned terminal
    — and `evaluation.completed` for those that are evaluations."""
    subscribed = await subscriptions(session, {org_id for _, org_id in ended})
    wanted = [run_id for run_id, org_id in ended if subscribed.wants_any(org_id, _RUN_TYPES)]
    if not wanted:
        return
    # Core rows, not ORM objects: a chunk renders up to hundreds of runs, and the identity
    # map's bookkeeping would cost more than the rendering.
    statement = select(
        *_RUN_COLUMNS,
        _has_any(RunLog.run_id).label("has_logs"),
        _has_any(NodeRun.run_id).label("has_node_runs"),
    ).where(_runs.c.id.in_(wanted))
    rows = (await session.execute(statement)).mappings().all()
    evaluations_wanted = any(
        subscribed.wants(row["org_id"], EventType.EVALUATION_COMPLETED) for row in rows
    )
    evaluation_model = await _evaluation_model(session) if evaluations_wanted else None
    image_urls: ImageUrls | None = None
    events: list[NewEvent] = []
    for row in rows:
        org_id, run_id, batch_id = row["org_id"], row["id"], row["batch_id"]
        ended_as = EventType(f"run.{row['status_code']}")
        if subscribed.wants(org_id, ended_as):
            values = {**row, "metadata_": row["metadata"]}
            values["links"] = run_links(run_id, batch_id, row["rerun_of"])
            data = _RUN_JSON.dump_json(_RUN_JSON.validate_python(values, from_attributes=False))
            events.append(NewEvent(org_id, ended_as, data, batch_id=batch_id, run_id=run_id))
        if row["model_id"] == evaluation_model and subscribed.wants(
            org_id, EventType.EVALUATION_COMPLETED
        ):
            if image_urls is None:
                evaluated = [r["input"] for r in rows if r["model_id"] == evaluation_model]
                signer = await _signer(session, outbox)
                ttl = outbox.media_url_ttl
                image_urls = await ImageUrls.of(session, signer, ttl, evaluated)
            evaluation = evaluation_read(dict(row), image_urls)
            events.append(
                NewEvent(
                    org_id,
                    EventType.EVALUATION_COMPLETED,
                    _EVALUATION_JSON.dump_json(evaluation),
                    batch_id=batch_id,
                    run_id=run_id,
                )
            )
    await record_events(session, outbox, subscribed, events, now)


async def publish_batches(
    session: AsyncSession,
    outbox: Outbox,
    batch_ids: Sequence[tuple[uuid.UUID, uuid.UUID]],
    now: datetime,
    *,
    event_type: EventType | None = None,
) -> None:
    """An event per batch of `batch_ids` — (batch id, org id) — as it stands now in this
    transaction: `event_type`, or `batch.<its status>` for batches that just ended."""
    subscribed = await subscriptions(session, {org_id for _, org_id in batch_ids})
    if not subscribed:
        return
    statement = select(Batch).where(Batch.id.in_([batch_id for batch_id, _ in batch_ids]))
    found = await session.scalars(statement.execution_options(populate_existing=True))
    wanted = [
        (batch, kind)
        for batch in found
        if subscribed.wants(
            batch.org_id, kind := event_type or EventType(f"batch.{batch.status_code}")
        )
    ]
    if not wanted:
        return
    handles = await batches.item_handles_of(session, [batch.id for batch, _ in wanted])
    events = [
        NewEvent(
            batch.org_id,
            kind,
            _BATCH_JSON.dump_json(batch_read(batch, _HANDLES.validate_python(handles[batch.id]))),
            batch_id=batch.id,
        )
        for batch, kind in wanted
    ]
    await record_events(session, outbox, subscribed, events, now)


async def publish_media_created(
    session: AsyncSession,
    outbox: Outbox,
    org_id: uuid.UUID,
    data: dict[str, object],
    now: datetime,
) -> None:
    """`media.created` for an upload; `data` is the media object as the upload returns it."""
    subscribed = await subscriptions(session, [org_id])
    if subscribed.wants(org_id, EventType.MEDIA_CREATED):
        event = NewEvent(org_id, EventType.MEDIA_CREATED, dict(data))
        await record_events(session, outbox, subscribed, [event], now)


def _has_any(run_id: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """Whether the run has rows in `run_id`'s table, looked up by its index. (PostgreSQL may
    answer an `EXISTS` beside each run by hashing the whole table — every log line or node
    run there has ever been, once per chunk — when its statistics are stale; a scalar
    subquery is always run per row.)"""
    found = select(literal(True)).where(run_id == _runs.c.id).limit(1).scalar_subquery()
    return found.is_not(None)


async def _evaluation_model(session: AsyncSession) -> uuid.UUID | None:
    statement = select(Model.id).where(
        Model.owner == BUILTIN_OWNER, Model.slug == IMAGE_QUALITY.slug
    )
    return await session.scalar(statement)


async def _signer(session: AsyncSession, outbox: Outbox) -> UrlSigner:
    return UrlSigner(await service_secret(session, MEDIA_URL_SECRET), outbox.public_url)

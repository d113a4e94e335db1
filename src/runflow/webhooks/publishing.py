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

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.batches import repository as batches
from runflow.batches.models import Batch
from runflow.batches.schemas import BatchItemHandle
from runflow.batches.shape import batch_read
from runflow.callbacks.outbox import Outbox
from runflow.catalog.builtin import IMAGE_QUALITY
from runflow.catalog.models import Model
from runflow.catalog.specs import BUILTIN_OWNER
from runflow.engine.models import NodeRun, RunLog
from runflow.evaluations.shape import RUN_FIELDS, evaluation_read
from runflow.keyring.service import service_secret
from runflow.media.signing import MEDIA_URL_SECRET, UrlSigner
from runflow.runs.models import Run
from runflow.runs.shape import run_read
from runflow.webhooks.catalogue import RUN_ENDED, EventType
from runflow.webhooks.events import NewEvent, record_events, subscriptions

_RUN_TYPES = (*RUN_ENDED, EventType.EVALUATION_COMPLETED)


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
    statement = select(
        Run, exists().where(RunLog.run_id == Run.id), exists().where(NodeRun.run_id == Run.id)
    ).where(Run.id.in_(wanted))
    rows = (await session.execute(statement.execution_options(populate_existing=True))).all()
    evaluation_model = await _evaluation_model(session)
    signer: UrlSigner | None = None
    events: list[NewEvent] = []
    for run, has_logs, has_node_runs in rows:
        ended_as = EventType(f"run.{run.status_code}")
        if subscribed.wants(run.org_id, ended_as):
            read = run_read(run, has_logs=bool(has_logs), has_node_runs=bool(has_node_runs))
            events.append(
                NewEvent(
                    run.org_id,
                    ended_as,
                    read.model_dump(mode="json"),
                    batch_id=run.batch_id,
                    run_id=run.id,
                )
            )
        if run.model_id == evaluation_model and subscribed.wants(
            run.org_id, EventType.EVALUATION_COMPLETED
        ):
            signer = signer or await _signer(session, outbox)
            values = {name: getattr(run, name) for name in (*RUN_FIELDS, "input", "output")}
            evaluation = evaluation_read(
                {**values, "metadata": run.metadata_}, signer, outbox.media_url_ttl
            )
            events.append(
                NewEvent(
                    run.org_id,
                    EventType.EVALUATION_COMPLETED,
                    evaluation.model_dump(mode="json"),
                    batch_id=run.batch_id,
                    run_id=run.id,
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
    events: list[NewEvent] = []
    for batch in await session.scalars(statement.execution_options(populate_existing=True)):
        kind = event_type or EventType(f"batch.{batch.status_code}")
        if not subscribed.wants(batch.org_id, kind):
            continue
        rows = await batches.item_handles(session, batch.id)
        handles = [BatchItemHandle.model_validate(row, from_attributes=True) for row in rows]
        data = batch_read(batch, handles).model_dump(mode="json")
        events.append(NewEvent(batch.org_id, kind, data, batch_id=batch.id))
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


async def _evaluation_model(session: AsyncSession) -> uuid.UUID | None:
    statement = select(Model.id).where(
        Model.owner == BUILTIN_OWNER, Model.slug == IMAGE_QUALITY.slug
    )
    return await session.scalar(statement)


async def _signer(session: AsyncSession, outbox: Outbox) -> UrlSigner:
    return UrlSigner(await service_secret(session, MEDIA_URL_SECRET), outbox.public_url)

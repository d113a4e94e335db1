"""Batch endpoints. The four of `contract/` keep its paths, parameter names and shapes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Path, Request, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Reader, Writer
from runflow.batches import items as batch_items
from runflow.batches import listing as batch_listing
from runflow.batches import service
from runflow.batches.repository import BatchRows
from runflow.batches.schemas import (
    BatchCreate,
    BatchCreated,
    BatchItemPage,
    BatchList,
    BatchRead,
    BatchRetry,
)
from runflow.callbacks.dependencies import CallbackOutbox, Egress
from runflow.callbacks.outbox import Outbox
from runflow.catalog.router import OwnerPath, SlugPath
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.db.group_commit import GroupCommit
from runflow.engine.wake import wake_dispatcher
from runflow.errors import CREATE_ERRORS, ERROR_RESPONSES
from runflow.idempotency.http import create_once
from runflow.kit.http import IdempotencyKey, JsonBody, StrictJsonRoute
from runflow.query.listing import Cursors, ListQuery, page_response

router = APIRouter(tags=["Batches"], responses=ERROR_RESPONSES, route_class=StrictJsonRoute)


async def _new_batches(request: Request) -> GroupCommit[BatchRows]:
    new_batches: GroupCommit[BatchRows] = request.app.state.new_batches
    return new_batches


NewBatches = Annotated[GroupCommit[BatchRows], Depends(_new_batches)]
BatchIdPath = Annotated[uuid.UUID, Path(title="Batch Id")]
# The contract names the parameter `id` on these paths; `id` is a builtin in Python.
BatchIdInPath = Annotated[uuid.UUID, Path(alias="id", title="Batch Id")]


@router.post(
    "/v1/models/{owner}/{slug}/batches",
    summary="Create and dispatch a batch",
    operation_id="createBatch",
    responses=CREATE_ERRORS,
    status_code=status.HTTP_201_CREATED,
    response_model=BatchCreated,
    dependencies=[JsonBody],
)
async def create_batch(
    owner: OwnerPath,
    slug: SlugPath,
    body: BatchCreate,
    request: Request,
    session: WriteSession,
    reading: ReadSession,
    principal: Writer,
    idempotency_key: IdempotencyKey,
    egress: Egress,
    new_batches: NewBatches,
    outbox: CallbackOutbox,
) -> Response:
    """Run a model on 1–100 inputs; every input becomes a queued run."""

    async def prepare(using: AsyncSession) -> service.NewBatch:
        return await service.prepare_batch(using, principal, owner, slug, body, egress)

    # Without a key, the batch is worked out reading only, and its inserts share a transaction
    # with the batches created at the same moment (this request's own write transaction is
    # never begun: on SQLite it would hold the writer that shared transaction waits for). A
    # key is looked up first, in this request's transaction: reused on another request, it is
    # a conflict whatever that request holds.
    new = await prepare(reading) if idempotency_key is None else None
    # Its connection goes back to the pool before this request waits for the shared
    # transaction: twenty requests holding one each (a model looked up, not cached) would
    # leave that transaction none to write with.
    await reading.close()

    async def create() -> BatchCreated:
        if new is None:
            return await service.write_batch(session, await prepare(session), outbox)
        return await service.write_batch_with_others(new_batches, new)

    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=create,
        after_commit=lambda: _wake(request, outbox),
    )


def _wake(request: Request, outbox: Outbox) -> None:
    """New runs for the dispatcher; `batch.created` deliveries, if any, for the sender."""
    wake_dispatcher(request.app)
    outbox.notify_sender()


@router.get(
    "/v1/batches/{id}",
    summary="Get batch detail",
    operation_id="getBatch",
    response_model=BatchRead,
)
async def get_batch(
    batch_id: BatchIdInPath,
    session: ReadSession,
    principal: Reader,
) -> BatchRead:
    """Get a batch by id with an inline lean items[] for polling."""
    return await service.read_batch(session, principal, batch_id)


@router.get(
    "/v1/batches", summary="List batches", operation_id="listBatches", response_model=BatchList
)
async def list_batches(
    params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Your organization's batches, newest first unless `sort_by` says otherwise."""
    page, fields = await batch_listing.list_batches(session, principal, params, codec)
    return page_response(page, fields)


@router.post(
    "/v1/batches/{id}/cancel",
    summary="Cancel a batch",
    operation_id="cancelBatch",
    responses={409: ERROR_RESPONSES[400] | {"description": "The batch already ended"}},
)
async def cancel_batch(
    batch_id: BatchIdInPath,
    session: WriteSession,
    principal: Writer,
    outbox: CallbackOutbox,
    background: BackgroundTasks,
) -> BatchRead:
    """Cancel queued items now and signal running ones; a second cancel changes nothing."""
    cancelled = await service.cancel_batch(session, principal, batch_id, outbox)
    background.add_task(outbox.notify_sender)
    return cancelled


@router.post(
    "/v1/batches/{id}/retry",
    summary="Retry a batch's failed items",
    operation_id="retryBatch",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchRead,
    dependencies=[JsonBody],
    responses={
        409: ERROR_RESPONSES[400]
        | {
            "description": "The batch is still running, no item ended as asked, the model "
            "is unavailable (`MODEL_UNAVAILABLE`), or the Idempotency-Key was reused"
        }
    },
)
async def retry_batch(
    batch_id: BatchIdInPath,
    request: Request,
    session: WriteSession,
    principal: Writer,
    idempotency_key: IdempotencyKey,
    egress: Egress,
    outbox: CallbackOutbox,
    body: Annotated[BatchRetry, Body(default_factory=BatchRetry)],
) -> Response:
    """A new batch of the items that ended failed or cancelled (or as `status_codes` says):
    same inputs, same `client_ref`s, same callback URL unless another is given;
    `links.retry_of` names this batch. Every field is optional, and so is the body."""

    async def create() -> BatchRead:
        new = await service.prepare_retry(session, principal, batch_id, body, egress)
        await service.write_batch(session, new, outbox)
        return await service.read_batch(session, principal, new.response.id)

    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=create,
        after_commit=lambda: _wake(request, outbox),
    )


@router.get(
    "/v1/batches/{batch_id}/items",
    summary="List batch items with live execution state",
    operation_id="listBatchItems",
    response_model=BatchItemPage,
)
async def list_batch_items(
    batch_id: BatchIdPath,
    params: ListQuery,
    codec: Cursors,
    session: ReadSession,
    principal: Reader,
) -> Response:
    """Items in `sequence_index` order (or `sort_by`) with each run's live status, input,
    output and cost; `q` filters, `fields` projects, `embed=run` inlines whole runs."""
    page, fields = await batch_items.list_items(session, principal, batch_id, params, codec)
    return page_response(page, fields)

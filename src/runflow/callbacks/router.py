"""Callback delivery history and redelivery, for batches and lone runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import Response

from runflow.auth.dependencies import Reader, Writer
from runflow.callbacks import service
from runflow.callbacks.dependencies import CallbackOutbox
from runflow.callbacks.http import deliver_once
from runflow.callbacks.schemas import CallbackDeliveryRead, RunCallbackDeliveryRead
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.errors import ERROR_RESPONSES
from runflow.kit.http import IdempotencyKey, StrictJsonRoute

router = APIRouter(responses=ERROR_RESPONSES, route_class=StrictJsonRoute)

BatchIdPath = Annotated[uuid.UUID, Path(title="Batch Id")]
RunIdInPath = Annotated[uuid.UUID, Path(alias="id", title="Run Id")]


@router.get(
    "/v1/batches/{batch_id}/callback",
    summary="Get batch callback delivery history",
    operation_id="getBatchCallback",
    tags=["Batches"],
)
async def get_batch_callback(
    batch_id: BatchIdPath, session: ReadSession, principal: Reader
) -> list[CallbackDeliveryRead]:
    """Every delivery of this batch's callback, with each attempt."""
    return await service.batch_history(session, principal, batch_id)


@router.post(
    "/v1/batches/{batch_id}/callback/redeliver",
    summary="Redeliver a batch callback",
    operation_id="redeliverBatchCallback",
    tags=["Webhooks"],
    status_code=status.HTTP_201_CREATED,
    response_model=CallbackDeliveryRead,
    responses={409: ERROR_RESPONSES[400] | {"description": "No callback to redeliver yet"}},
)
async def redeliver_batch_callback(
    batch_id: BatchIdPath,
    request: Request,
    session: WriteSession,
    principal: Writer,
    outbox: CallbackOutbox,
    idempotency_key: IdempotencyKey,
) -> Response:
    """Send the batch's frozen callback payload again, as a new manual delivery."""
    return await deliver_once(
        request,
        session,
        principal,
        idempotency_key,
        outbox,
        lambda: service.redeliver_batch_callback(session, principal, batch_id, outbox),
    )


@router.get(
    "/v1/runs/{id}/callback",
    summary="Get run callback delivery history",
    operation_id="getRunCallback",
    tags=["Runs"],
)
async def get_run_callback(
    run_id: RunIdInPath, session: ReadSession, principal: Reader
) -> list[RunCallbackDeliveryRead]:
    """Every delivery of a lone run's callback, with each attempt."""
    return await service.run_history(session, principal, run_id)

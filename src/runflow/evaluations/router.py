"""Evaluation endpoints (DESIGN §14): judge an image, read one verdict, list them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import Response

from runflow.auth.dependencies import Reader, Writer
from runflow.callbacks.dependencies import Egress
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.engine.wake import wake_dispatcher
from runflow.errors import ERROR_RESPONSES
from runflow.evaluations import listing, service
from runflow.evaluations.schemas import EvaluationCreate, EvaluationList, EvaluationRead
from runflow.idempotency.http import create_once
from runflow.kit.http import IdempotencyKey, JsonBody, StrictJsonRoute
from runflow.media.dependencies import Library
from runflow.query.listing import Cursors, ListQuery, page_response

router = APIRouter(
    prefix="/v1/evaluations",
    tags=["Evaluations"],
    responses=ERROR_RESPONSES,
    route_class=StrictJsonRoute,
)

EvaluationIdInPath = Annotated[uuid.UUID, Path(alias="id", title="Evaluation Id")]


@router.post(
    "",
    summary="Evaluate an image",
    operation_id="createEvaluation",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationRead,
    dependencies=[JsonBody],
)
async def create_evaluation(
    body: EvaluationCreate,
    request: Request,
    session: WriteSession,
    principal: Writer,
    idempotency_key: IdempotencyKey,
    egress: Egress,
    library: Library,
) -> Response:
    """Queue the evaluation of an image (a media id, an https URL or a data URI); poll it at
    `GET /v1/evaluations/{id}` or give a `callback_url`."""
    signer = await library.signer()
    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=lambda: service.create_evaluation(
            session, principal, body, egress, signer, library.url_ttl
        ),
        after_commit=lambda: wake_dispatcher(request.app),
    )


@router.get(
    "", summary="List evaluations", operation_id="listEvaluations", response_model=EvaluationList
)
async def list_evaluations(
    params: ListQuery,
    codec: Cursors,
    session: ReadSession,
    principal: Reader,
    library: Library,
) -> Response:
    """Your organization's evaluations, newest first unless `sort_by` says otherwise; `q`
    filters on `status_code`, `passed`, `score`, `created_at` and more."""
    page, fields = await listing.list_evaluations(
        session, principal, params, codec, await library.signer(), library.url_ttl
    )
    return page_response(page, fields)


@router.get("/{id}", summary="Get evaluation", operation_id="getEvaluation")
async def get_evaluation(
    evaluation_id: EvaluationIdInPath,
    session: ReadSession,
    principal: Reader,
    library: Library,
) -> EvaluationRead:
    """One evaluation: `passed`, `score` and `issues` once it has `succeeded`."""
    return await service.read_evaluation(
        session, principal, evaluation_id, await library.signer(), library.url_ttl
    )

"""Credit endpoints: the ledger, and what a create would cost before it is made (DESIGN §16)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from runflow.auth.dependencies import Reader
from runflow.batches import service as batches
from runflow.batches.schemas import BatchCreate
from runflow.callbacks.dependencies import Egress
from runflow.catalog.router import OwnerPath, SlugPath
from runflow.credits import listing
from runflow.credits.schemas import CostEstimate, CreditTransactionList
from runflow.db.dependencies import ReadSession
from runflow.errors import CREATE_ERRORS, ERROR_RESPONSES
from runflow.kit.http import JsonBody, StrictJsonRoute
from runflow.query.listing import Cursors, ListQuery, page_response
from runflow.runs import service as runs
from runflow.runs.schemas import RunCreate

router = APIRouter(responses=ERROR_RESPONSES, route_class=StrictJsonRoute)


@router.get(
    "/v1/account/credit-transactions",
    summary="List credit transactions",
    operation_id="listCreditTransactions",
    tags=["Account"],
    response_model=CreditTransactionList,
)
async def list_credit_transactions(
    params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Every change of your balance, newest first: grants, one `usage` row per run that cost
    something, refunds and adjustments; `q` filters on `kind_code`, `amount`, `batch_id`,
    `run_id` and `created_at`."""
    page, fields = await listing.list_transactions(session, principal, params, codec)
    return page_response(page, fields)


@router.post(
    "/v1/models/{owner}/{slug}/batches/estimate",
    summary="Estimate a batch's cost",
    operation_id="estimateBatch",
    tags=["Batches"],
    responses={409: CREATE_ERRORS[409]},
    dependencies=[JsonBody],
)
async def estimate_batch(
    owner: OwnerPath,
    slug: SlugPath,
    body: BatchCreate,
    session: ReadSession,
    principal: Reader,
    egress: Egress,
) -> CostEstimate:
    """What creating this batch would cost, per item, from the model's pricing rules; the body
    is checked as a create checks it (same `422`s), and nothing is written."""
    return await batches.estimate_batch(session, principal, owner, slug, body, egress)


@router.post(
    "/v1/models/{owner}/{slug}/runs/estimate",
    summary="Estimate a run's cost",
    operation_id="estimateRun",
    tags=["Models"],
    responses={409: CREATE_ERRORS[409]},
    dependencies=[JsonBody],
)
async def estimate_run(
    owner: OwnerPath,
    slug: SlugPath,
    body: RunCreate,
    session: ReadSession,
    principal: Reader,
    egress: Egress,
) -> CostEstimate:
    """What creating this run would cost, from the model's pricing rules; the body is checked
    as a create checks it (same `422`s), and nothing is written."""
    return await runs.estimate_run(session, principal, owner, slug, body, egress)

"""Run use cases: create one run, read it, cancel it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.batches.lifecycle import record_cancelled_items
from runflow.callbacks.outbox import Outbox
from runflow.catalog.dispatch import DispatchTarget, creatable_target
from runflow.catalog.models import Model
from runflow.catalog.validation import check_input
from runflow.credits import ledger
from runflow.credits.estimates import estimate_inputs
from runflow.credits.schemas import CostEstimate, cost_estimate
from runflow.errors import Conflict, NotFound, ValidationFailed
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard
from runflow.kit.ids import new_id
from runflow.live.changes import announce
from runflow.runs import repository
from runflow.runs.destinations import vet_destinations
from runflow.runs.lifecycle import enqueue_run_callbacks
from runflow.runs.models import Run, RunStatus
from runflow.runs.schemas import RunCreate, RunRead, RunRerun
from runflow.runs.shape import run_read
from runflow.webhooks.publishing import publish_run_endings


async def _checked(
    session: AsyncSession,
    principal: Principal,
    owner: str,
    slug: str,
    request: RunCreate,
    egress: EgressGuard,
) -> tuple[DispatchTarget, dict[str, Any]]:
    """The model and the input resolved against it, or the error a create answers."""
    model = await creatable_target(session, principal.org_id, owner, slug)
    check = check_input(model.inputs, request.input, ("body", "input"))
    if check.errors:
        raise ValidationFailed("The input is invalid; nothing was created.", errors=check.errors)
    await vet_destinations(
        egress, model.inputs, [(("body", "input"), check.value)], request.callback_url
    )
    return model, check.value


async def estimate_run(
    session: AsyncSession,
    principal: Principal,
    owner: str,
    slug: str,
    request: RunCreate,
    egress: EgressGuard,
) -> CostEstimate:
    """What creating this run would cost, checked as a create is; nothing is written."""
    model, value = await _checked(session, principal, owner, slug, request, egress)
    (estimate,) = await estimate_inputs(session, principal.org_id, model, [value])
    return cost_estimate(model.price_rules, [(0, request.client_ref, estimate)])


async def create_run(
    session: AsyncSession,
    principal: Principal,
    owner: str,
    slug: str,
    request: RunCreate,
    egress: EgressGuard,
    *,
    rerun_of: uuid.UUID | None = None,
) -> RunRead:
    """A queued run; in an org that enforces credits, its estimate is reserved with it."""
    model, value = await _checked(session, principal, owner, slug, request, egress)
    reserved = None
    if principal.credits_enforced:
        (estimate,) = await estimate_inputs(session, principal.org_id, model, [value])
        reserved = estimate.cost
        await ledger.reserve(session, {principal.org_id: reserved})
    now = utcnow()
    run = Run(
        id=new_id(),
        org_id=principal.org_id,
        model_id=model.id,
        target_type="model",
        target_version=model.version,
        status_code=RunStatus.QUEUED,
        source_code="api" if rerun_of is None else "rerun",
        rerun_of=rerun_of,
        input=value,
        client_ref=request.client_ref,
        callback_url=request.callback_url,
        metadata_=request.metadata,
        created_by=principal.user_id,
        created_at=now,
        available_at=now,
        attempt=0,
        credit_reserved=reserved,
    )
    session.add(run)
    await session.flush()
    return run_read(run)


async def rerun(
    session: AsyncSession,
    principal: Principal,
    run_id: uuid.UUID,
    request: RunRerun,
    egress: EgressGuard,
) -> RunRead:
    """A new lone run of the same model: the run's stored input (its recorded seed and media
    ids included) with `request.input` on top, validated again. Metadata, callback URL and
    `client_ref` carry over unless given."""
    found = await repository.get_run(session, principal.org_id, run_id)
    if found is None:
        raise NotFound(f"Run {run_id} does not exist.")
    original = found[0]
    model = await session.get(Model, original.model_id)
    assert model is not None  # a run's model is never deleted, only made unavailable
    again = RunCreate.model_construct(
        input={**original.input, **(request.input or {})},
        metadata=request.metadata if request.metadata is not None else original.metadata_,
        callback_url=request.callback_url or original.callback_url,
        client_ref=original.client_ref,
    )
    return await create_run(
        session, principal, model.owner, model.slug, again, egress, rerun_of=original.id
    )


async def read_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> RunRead:
    found = await repository.get_run(session, principal.org_id, run_id)
    if found is None:
        raise NotFound(f"Run {run_id} does not exist.")
    run, has_logs, has_node_runs = found
    return run_read(run, has_logs=has_logs, has_node_runs=has_node_runs)


async def cancel_run(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID, outbox: Outbox
) -> RunRead:
    """A queued run ends `cancelled` now; a running one is signalled. 409 once terminal."""
    found = await repository.get_run(session, principal.org_id, run_id)
    if found is None:
        raise NotFound(f"Run {run_id} does not exist.")
    run = found[0]
    if RunStatus(run.status_code).is_terminal:
        raise Conflict(f"Run {run_id} already ended as {run.status_code}.")
    now = utcnow()
    await announce(session, [run.id] if run.batch_id is None else [run.id, run.batch_id])
    cancelled = await repository.cancel_queued(session, Run.id == run.id, now)
    if not cancelled:
        await repository.request_cancel_of_running(session, Run.id == run.id, now)
    else:
        await publish_run_endings(session, outbox, [(run.id, run.org_id)], now)
        if run.batch_id is not None:
            await record_cancelled_items(session, run.batch_id, 1, now, outbox, whole_batch=False)
        else:
            await enqueue_run_callbacks(session, [run.id], outbox)
        held = [(ended.org_id, ended.credit_reserved) for ended in cancelled]
        await ledger.release(session, held)  # the org's row last: the lock order
    return await read_run(session, principal, run_id)

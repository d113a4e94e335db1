"""Batch use cases: create (validate every item, write everything at once), read, cancel."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.batches import repository
from runflow.batches.lifecycle import record_cancelled_items
from runflow.batches.models import BatchStatus
from runflow.batches.schemas import (
    MAX_CLIENT_REF_LENGTH,
    BatchCreate,
    BatchCreated,
    BatchItemHandle,
    BatchRead,
    BatchRetry,
)
from runflow.batches.shape import batch_read
from runflow.callbacks.outbox import Outbox
from runflow.catalog.dispatch import DispatchTarget, creatable_target
from runflow.catalog.models import Model
from runflow.catalog.validation import check_input
from runflow.credits import ledger
from runflow.credits.estimates import estimate_inputs
from runflow.credits.schemas import CostEstimate, cost_estimate
from runflow.db.group_commit import GroupCommit
from runflow.errors import Conflict, NotFound, ValidationFailed
from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard
from runflow.kit.ids import new_id
from runflow.live.changes import announce
from runflow.runs import repository as runs
from runflow.runs.destinations import vet_destinations
from runflow.runs.models import Run, RunStatus
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.publishing import publish_batches, publish_run_endings

TARGET_TYPE = "model"
# At most this many new batches (of up to 100 items) share a transaction.
NEW_BATCHES_PER_COMMIT = 20
_HANDLES = TypeAdapter(list[BatchItemHandle])


def _split_client_ref(
    item: dict[str, Any], index: int, errors: list[dict[str, Any]]
) -> tuple[str | None, dict[str, Any]]:
    """Take `client_ref` out of an item before the model sees it; check it on the way."""
    given = dict(item)
    client_ref = given.pop("client_ref", None)
    loc = ["body", "input", index, "client_ref"]
    if client_ref is not None and not isinstance(client_ref, str):
        errors.append({"loc": loc, "msg": "must be a string", "type": "type_error"})
        return None, given
    if client_ref is not None and len(client_ref) > MAX_CLIENT_REF_LENGTH:
        errors.append(
            {
                "loc": loc,
                "msg": f"must be at most {MAX_CLIENT_REF_LENGTH} characters long",
                "type": "value_error",
            }
        )
    return client_ref, given


def validate_items(
    model: DispatchTarget, items: Sequence[dict[str, Any]]
) -> list[tuple[str | None, dict[str, Any]]]:
    """Each item checked on its own; any problem anywhere rejects the whole request."""
    errors: list[dict[str, Any]] = []
    resolved: list[tuple[str | None, dict[str, Any]]] = []
    for index, item in enumerate(items):
        client_ref, given = _split_client_ref(item, index, errors)
        check = check_input(model.inputs, given, ("body", "input", index))
        errors.extend(check.errors)
        resolved.append((client_ref, check.value))
    if errors:
        bad = len({error["loc"][2] for error in errors})
        raise ValidationFailed(
            f"{bad} of {len(items)} items are invalid; nothing was created.", errors=errors
        )
    return resolved


@dataclass(frozen=True)
class NewBatch:
    """A batch worked out in full before its transaction: checked, its rows encoded, its
    response made. Writing it is then three statements (`write_batch`)."""

    rows: repository.BatchRows
    response: BatchCreated


async def _checked(
    session: AsyncSession,
    principal: Principal,
    owner: str,
    slug: str,
    request: BatchCreate,
    egress: EgressGuard,
) -> tuple[DispatchTarget, list[tuple[str | None, dict[str, Any]]]]:
    """The model and every item resolved against it, or the error a create answers."""
    model = await creatable_target(session, principal.org_id, owner, slug)
    resolved = validate_items(model, request.input)
    await vet_destinations(
        egress,
        model.inputs,
        [(("body", "input", index), value) for index, (_, value) in enumerate(resolved)],
        request.callback_url,
    )
    return model, resolved


async def estimate_batch(
    session: AsyncSession,
    principal: Principal,
    owner: str,
    slug: str,
    request: BatchCreate,
    egress: EgressGuard,
) -> CostEstimate:
    """What creating this batch would cost, checked as a create is; nothing is written."""
    model, resolved = await _checked(session, principal, owner, slug, request, egress)
    values = [value for _, value in resolved]
    estimates = await estimate_inputs(session, principal.org_id, model, values)
    items = [
        (index, client_ref, estimate)
        for index, ((client_ref, _), estimate) in enumerate(zip(resolved, estimates, strict=True))
    ]
    return cost_estimate(model.price_rules, items)


async def prepare_batch(
    session: AsyncSession,
    principal: Principal,
    owner: str,
    slug: str,
    request: BatchCreate,
    egress: EgressGuard,
    *,
    retry_of: uuid.UUID | None = None,
) -> NewBatch:
    """The batch checked and its rows encoded; for an org that enforces credits, each run
    carries its estimate, reserved when the rows are written (`insert_batches`)."""
    model, resolved = await _checked(session, principal, owner, slug, request, egress)
    reserved: list[Decimal | None] = [None] * len(resolved)
    if principal.credits_enforced:
        values = [value for _, value in resolved]
        estimates = await estimate_inputs(session, principal.org_id, model, values)
        reserved = [estimate.cost for estimate in estimates]

    now = utcnow()
    batch_id = new_id()
    batch = {
        "id": batch_id,
        "org_id": principal.org_id,
        "target_type_code": TARGET_TYPE,
        "target_id": model.id,
        "status_code": BatchStatus.QUEUED,
        "source_code": "api" if retry_of is None else "retry",
        "retry_of": retry_of,
        "items_total": len(resolved),
        "items_succeeded": 0,
        "items_failed": 0,
        "items_cancelled": 0,
        "cost": Decimal(0),
        "input": request.input,
        "metadata": request.metadata,
        "callback_url": request.callback_url,
        "created_by": principal.user_id,
        "created_at": now,
    }
    runs: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    handles: list[dict[str, Any]] = []
    for index, (client_ref, value) in enumerate(resolved):
        run_id, item_id = new_id(), new_id()
        runs.append(
            {
                "id": run_id,
                "org_id": principal.org_id,
                "model_id": model.id,
                "batch_id": batch_id,
                "target_type": TARGET_TYPE,
                "target_version": model.version,
                "status_code": RunStatus.QUEUED,
                "source_code": "api",
                "input": value,
                "client_ref": client_ref,
                "created_by": principal.user_id,
                "created_at": now,
                "available_at": now,
                "credit_reserved": reserved[index],
            }
        )
        items.append(
            {
                "id": item_id,
                "batch_id": batch_id,
                "sequence_index": index,
                "run_id": run_id,
                "client_ref": client_ref,
                "created_at": now,
            }
        )
        handles.append(
            {
                "id": item_id,
                "sequence_index": index,
                "client_ref": client_ref,
                "run_id": run_id,
                "status_code": RunStatus.QUEUED,
            }
        )
    response = BatchCreated(
        id=batch_id,
        target_type=TARGET_TYPE,
        target_id=model.id,
        status_code=BatchStatus.QUEUED,
        items_total=len(resolved),
        items_succeeded=0,
        items_failed=0,
        items_cancelled=0,
        items=_HANDLES.validate_python(handles),  # one validation for all, not one per item
        created_at=now,
        output=None,
        cost=Decimal(0),
        metadata=request.metadata,
        callback_url=request.callback_url,
        started_at=None,
        completed_at=None,
    )
    dialect = session.get_bind().dialect.name
    total = sum((amount for amount in reserved if amount), Decimal(0))
    return NewBatch(repository.encode_batch(dialect, batch, runs, items, total), response)


async def insert_batches(
    session: AsyncSession, new: Sequence[repository.BatchRows], outbox: Outbox
) -> None:
    """The batches' rows, what they reserve of their orgs' credits, and their `batch.created`
    events for the endpoints that want them (one query for the whole group finds there are
    none). Should the group not fit in an org's credits, the group commit writes its batches
    one by one, and only those that do not fit get `InsufficientCredits`."""
    reservations: defaultdict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for rows in new:
        if rows.reserved:
            reservations[rows.batch["org_id"]] += rows.reserved
    await ledger.reserve(session, reservations)
    await repository.insert_batches(session, new)
    created = [(rows.batch["id"], rows.batch["org_id"]) for rows in new]
    await publish_batches(session, outbox, created, utcnow(), event_type=EventType.BATCH_CREATED)


async def write_batch(session: AsyncSession, new: NewBatch, outbox: Outbox) -> BatchCreated:
    await insert_batches(session, [new.rows], outbox)
    return new.response


async def write_batch_with_others(
    new_batches: GroupCommit[repository.BatchRows], new: NewBatch
) -> BatchCreated:
    """In a transaction shared with the batches created at the same moment."""
    await new_batches.write(new.rows)
    return new.response


async def prepare_retry(
    session: AsyncSession,
    principal: Principal,
    batch_id: uuid.UUID,
    request: BatchRetry,
    egress: EgressGuard,
) -> NewBatch:
    """A new batch of the items of a finished batch that ended in `request.status_codes`:
    their stored inputs (recorded seeds and media ids included) and `client_ref`s, the
    batch's metadata, and its callback URL unless another is given. 409 while the batch
    runs, or when no item matches."""
    batch = await repository.get_batch(session, principal.org_id, batch_id)
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    if not BatchStatus(batch.status_code).is_terminal:
        raise Conflict(f"Batch {batch_id} is still {batch.status_code}; retry it once it ends.")
    wanted = set(request.status_codes)
    items = [
        {**run_input, "client_ref": client_ref} if client_ref is not None else dict(run_input)
        for client_ref, status_code, run_input in await repository.item_inputs(session, batch.id)
        if status_code in wanted
    ]
    if not items:
        raise Conflict(
            f"No item of batch {batch_id} ended {' or '.join(sorted(wanted))}; nothing to retry."
        )
    model = await session.get(Model, batch.target_id)
    assert model is not None  # a batch's model is never deleted, only made unavailable
    again = BatchCreate.model_construct(
        input=items,
        metadata=batch.metadata_,
        callback_url=request.callback_url or batch.callback_url,
    )
    return await prepare_batch(
        session, principal, model.owner, model.slug, again, egress, retry_of=batch.id
    )


async def read_batch(session: AsyncSession, principal: Principal, batch_id: uuid.UUID) -> BatchRead:
    batch = await repository.get_batch(session, principal.org_id, batch_id)
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    rows = await repository.item_handles(session, batch.id)
    handles = [BatchItemHandle.model_validate(row, from_attributes=True) for row in rows]
    return batch_read(batch, handles)


async def cancel_batch(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, outbox: Outbox
) -> BatchRead:
    """Queued items end `cancelled` now; running ones are signalled. Idempotent until terminal.

    Runs are locked before their batch, and the org (giving reservations back) last: the
    order the engine's claims and completions use, so a cancel racing a completion cannot
    deadlock on PostgreSQL.
    """
    batch = await repository.get_batch(session, principal.org_id, batch_id)
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    if BatchStatus(batch.status_code).is_terminal:
        raise Conflict(f"Batch {batch_id} already ended as {batch.status_code}.")
    now = utcnow()
    await announce(session, [batch.id])
    cancelled = await runs.cancel_queued(session, Run.batch_id == batch.id, now)
    await runs.request_cancel_of_running(session, Run.batch_id == batch.id, now)
    await publish_run_endings(session, outbox, [(run.run_id, run.org_id) for run in cancelled], now)
    await record_cancelled_items(session, batch.id, len(cancelled), now, outbox, whole_batch=True)
    await ledger.release(session, [(run.org_id, run.credit_reserved) for run in cancelled])
    await session.flush()
    return await read_batch(session, principal, batch.id)

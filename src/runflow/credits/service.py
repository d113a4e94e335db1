"""Operator actions on an org's credits, by its slug: grant, adjust, refund, enforce, set the
alert threshold."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth import repository as orgs
from runflow.auth.models import Org
from runflow.batches.models import Batch
from runflow.callbacks.outbox import Outbox
from runflow.credits import ledger, refunds
from runflow.credits.models import CreditTransaction, TransactionKind
from runflow.kit.clock import utcnow
from runflow.runs.models import Run

# Amounts are stored as signed 64-bit nano-units (up to about 9.2 billion); one grant of up
# to a billion leaves room for any sum of them.
MAX_AMOUNT = Decimal(1_000_000_000)
_DECIMAL_PLACES = 9


class UnknownOrg(LookupError):
    pass


class UnknownTarget(LookupError):
    """A run or batch that is not the org's."""


def parse_amount(text: str) -> Decimal:
    """A positive amount written as a plain decimal (`"25"`, `"0.50"`): no sign, exponent,
    NaN or infinity, at most nine decimal places. Raises `ValueError` saying what is wrong."""
    given = text.strip()
    if not given or given[0] in "+-" or any(c in given for c in "eE"):
        raise ValueError(f"{text!r} is not a plain positive decimal like 25 or 0.50")
    try:
        amount = Decimal(given)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a plain positive decimal like 25 or 0.50") from None
    if not amount.is_finite():
        raise ValueError(f"{text!r} is not a plain positive decimal like 25 or 0.50")
    if amount <= 0:
        raise ValueError(f"the amount must be more than 0, not {text}")
    if -int(amount.as_tuple().exponent) > _DECIMAL_PLACES:
        raise ValueError(f"{text} has more than {_DECIMAL_PLACES} decimal places")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{text} is more than the most a balance can hold ({MAX_AMOUNT:f})")
    return amount


async def _org(session: AsyncSession, slug: str) -> Org:
    org = await orgs.get_org_by_slug(session, slug)
    if org is None:
        raise UnknownOrg(f"There is no organization {slug!r}.")
    return org


async def grant(
    session: AsyncSession, slug: str, amount: Decimal, description: str | None
) -> CreditTransaction:
    org = await _org(session, slug)
    return await ledger.grant(session, org.id, amount, utcnow(), description=description)


async def adjust(
    session: AsyncSession, slug: str, amount: Decimal, description: str, outbox: Outbox
) -> CreditTransaction:
    """A correction either way (`amount` signed), with an `adjustment` row saying why; one
    down across the org's threshold announces `credits.low` through `outbox`."""
    org = await _org(session, slug)
    return await ledger.grant(
        session,
        org.id,
        amount,
        utcnow(),
        kind=TransactionKind.ADJUSTMENT,
        description=description,
        outbox=outbox,
    )


async def refund(
    session: AsyncSession,
    slug: str,
    *,
    run_id: uuid.UUID | None = None,
    batch_id: uuid.UUID | None = None,
    description: str | None = None,
) -> refunds.Refunded:
    """Give back what a run, or each run of a batch, still stands charged."""
    org = await _org(session, slug)
    if run_id is not None:
        found = await session.scalar(select(Run.id).where(Run.id == run_id, Run.org_id == org.id))
        if found is None:
            raise UnknownTarget(f"There is no run {run_id} in {slug!r}.")
    if batch_id is not None:
        statement = select(Batch.id).where(Batch.id == batch_id, Batch.org_id == org.id)
        if await session.scalar(statement) is None:
            raise UnknownTarget(f"There is no batch {batch_id} in {slug!r}.")
    return await refunds.refund(
        session, org.id, run_id=run_id, batch_id=batch_id, description=description, now=utcnow()
    )


async def enforce(session: AsyncSession, slug: str, enforced: bool) -> None:
    org = await _org(session, slug)
    await session.execute(update(Org).where(Org.id == org.id).values(credits_enforced=enforced))


async def set_threshold(session: AsyncSession, slug: str, threshold: Decimal | None) -> None:
    org = await _org(session, slug)
    await session.execute(
        update(Org).where(Org.id == org.id).values(low_balance_threshold=threshold)
    )

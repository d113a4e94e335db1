"""The ledger: an org's balance moves only together with a `credit_transactions` row (§16).

Every change is one `UPDATE orgs … RETURNING credit_balance` followed by the ledger rows it
explains, in the caller's transaction. The UPDATE locks the org's row until commit, so the
balance it returns is exactly the one the rows lead to: a chunk of runs debited together gets
`balance_after` worked back from it, run by run. Amounts are summed as integer nano-units.

Reservations (`credit_reserved`) hold back what accepted, unfinished runs may cost in orgs
that enforce credits: `reserve` takes them in the create's transaction only if they fit in
`credit_balance − credit_reserved`; each run's end gives its share back (`settle`, or
`release` for runs cancelled before they started). Lock order: runs, then batches, then orgs
— the order completions and cancels take them in, the org's row last so that it is held the
shortest time.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    Insert,
    MetaData,
    Table,
    Uuid,
    bindparam,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.models import Org
from runflow.callbacks.outbox import Outbox
from runflow.credits.models import CreditTransaction, TransactionKind
from runflow.db.json_rows import JsonRows
from runflow.db.types import Money, UTCDateTime
from runflow.errors import InsufficientCredits, NotFound
from runflow.kit.clock import utcnow
from runflow.kit.ids import new_id
from runflow.kit.money import format_money, from_nanos, to_nanos
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.events import NewEvent, record_events, subscriptions

log = structlog.get_logger(__name__)

_orgs = cast(Table, Org.__table__)


class EndedRun(NamedTuple):  # a chunk makes hundreds: a tuple is the cheapest to make
    """A run that just turned terminal: what it cost and what was held back for it."""

    org_id: uuid.UUID
    run_id: uuid.UUID
    batch_id: uuid.UUID | None
    cost: Decimal
    reserved: Decimal | None


async def grant(
    session: AsyncSession,
    org_id: uuid.UUID,
    amount: Decimal,
    now: datetime,
    *,
    kind: TransactionKind = TransactionKind.GRANT,
    description: str | None = None,
    outbox: Outbox | None = None,
) -> CreditTransaction:
    """Add `amount` (negative for an adjustment down) to the balance, with its ledger row.
    An adjustment down that takes the balance below the org's threshold announces
    `credits.low` through `outbox`, as a debit would."""
    changed = (
        await session.execute(
            update(_orgs)
            .where(_orgs.c.id == org_id)
            .values(credit_balance=_orgs.c.credit_balance + amount)
            .returning(_orgs.c.credit_balance, _orgs.c.low_balance_threshold)
        )
    ).one_or_none()
    if changed is None:
        raise NotFound(f"Organization {org_id} does not exist.")
    balance, threshold = changed
    if outbox is not None and threshold is not None and _crossed(balance, threshold, spent=-amount):
        crossed = [_low_balance(org_id, balance, threshold)]
        await _announce_low_balance(session, outbox, crossed, now)
    row = CreditTransaction(
        id=new_id(),
        org_id=org_id,
        amount=amount,
        balance_after=balance,
        kind_code=kind,
        description=description,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def reserve(session: AsyncSession, amounts: Mapping[uuid.UUID, Decimal]) -> None:
    """Hold back each org's amount, or raise `InsufficientCredits` (and the caller's
    transaction rolls back) when it does not fit in what is available."""
    for org_id, amount in amounts.items():
        if amount <= 0:
            continue
        reserved = await session.scalar(
            update(_orgs)
            .where(
                _orgs.c.id == org_id,
                # Typed: a difference of two amounts is no longer an amount to SQLAlchemy.
                _orgs.c.credit_balance - _orgs.c.credit_reserved >= literal(amount, Money()),
            )
            .values(credit_reserved=_orgs.c.credit_reserved + amount)
            .returning(_orgs.c.id)
        )
        if reserved is None:
            balance, held = (
                await session.execute(
                    select(_orgs.c.credit_balance, _orgs.c.credit_reserved).where(
                        _orgs.c.id == org_id
                    )
                )
            ).one()
            available = max(balance - held, Decimal(0))
            raise InsufficientCredits(
                f"This costs an estimated {format_money(amount)} credits, but only "
                f"{format_money(available)} are available "
                "(balance minus what running work has reserved). Nothing was created."
            )


async def release(session: AsyncSession, ended: Sequence[tuple[uuid.UUID, Decimal | None]]) -> None:
    """Give back what was held for runs that ended without running: `(org id, reserved)`."""
    held: defaultdict[uuid.UUID, int] = defaultdict(int)
    for org_id, reserved in ended:
        if reserved:
            held[org_id] += to_nanos(reserved)
    for org_id, nanos in held.items():
        await session.execute(
            update(_orgs)
            .where(_orgs.c.id == org_id)
            .values(credit_reserved=_orgs.c.credit_reserved - from_nanos(nanos))
        )


async def settle(
    session: AsyncSession, outbox: Outbox, ended: Sequence[EndedRun], now: datetime
) -> None:
    """Debit what the runs cost — one `usage` row each — and give back what was held for
    them: per org one UPDATE and one INSERT, whatever the number of runs. Nothing when
    nothing moves."""
    costs: defaultdict[uuid.UUID, list[tuple[EndedRun, int]]] = defaultdict(list)
    held: defaultdict[uuid.UUID, int] = defaultdict(int)
    for run in ended:
        if run.reserved:
            held[run.org_id] += to_nanos(run.reserved)
        if run.cost > 0:
            costs[run.org_id].append((run, to_nanos(run.cost)))
    dialect = session.get_bind().dialect.name
    crossed: list[NewEvent] = []
    for org_id in costs.keys() | held.keys():
        debits = costs.get(org_id, [])
        spent = sum(nanos for _, nanos in debits)
        changed = await session.execute(
            update(_orgs)
            .where(_orgs.c.id == org_id)
            .values(
                credit_balance=_orgs.c.credit_balance - from_nanos(spent),
                credit_reserved=_orgs.c.credit_reserved - from_nanos(held.get(org_id, 0)),
            )
            .returning(_orgs.c.credit_balance, _orgs.c.low_balance_threshold)
        )
        balance, threshold = changed.one()
        if debits:
            rows = _usage_rows(to_nanos(balance) + spent, debits)
            # Timed once the org's row is locked: the ledger's order is the order of debits.
            written = {"org_id": org_id, "created_at": utcnow()}
            await session.execute(
                _usage_insert(dialect), {**_USAGE.parameters(dialect, rows), **written}
            )
        if threshold is not None and _crossed(balance, threshold, spent=from_nanos(spent)):
            crossed.append(_low_balance(org_id, balance, threshold))
    if crossed:
        await _announce_low_balance(session, outbox, crossed, now)


def _usage_rows(before: int, debits: Sequence[tuple[EndedRun, int]]) -> list[dict[str, Any]]:
    """One row per debit, in nano-units: the balance before, walked down run by run."""
    rows = []
    for run, nanos in debits:
        before -= nanos
        rows.append(
            {
                "id": new_id(),
                "amount": -nanos,
                "balance_after": before,
                "run_id": run.run_id,
                "batch_id": run.batch_id,
            }
        )
    return rows


# A chunk's usage rows travel as integer nano-units, as stored (`Money`), so that thousands of
# amounts are never turned into decimals and back; what all rows share is bound once.
_transactions = cast(Table, CreditTransaction.__table__)
_USAGE = JsonRows(
    "usage",
    Table(
        "usage_in_nanos",
        MetaData(),
        Column("id", Uuid()),
        Column("amount", BigInteger()),
        Column("balance_after", BigInteger()),
        Column("run_id", Uuid()),
        Column("batch_id", Uuid()),
    ),
)


@functools.cache
def _usage_insert(dialect: str) -> Insert:
    given = _USAGE.source(dialect)
    columns = ("id", "org_id", "amount", "balance_after", "kind_code", "run_id", "batch_id")
    return insert(_transactions).from_select(
        (*columns, "created_at"),
        select(
            given.c.id,
            bindparam("org_id", type_=Uuid()),
            given.c.amount,
            given.c.balance_after,
            literal(TransactionKind.USAGE.value),
            given.c.run_id,
            given.c.batch_id,
            bindparam("created_at", type_=UTCDateTime()),
        ),
    )


def _crossed(balance: Decimal, threshold: Decimal, *, spent: Decimal) -> bool:
    """Whether taking `spent` took the balance from at or above `threshold` to below it: the
    one change that sees both sides, so `credits.low` fires once per crossing."""
    return balance < threshold <= balance + spent


def _low_balance(org_id: uuid.UUID, balance: Decimal, threshold: Decimal) -> NewEvent:
    data = {
        "org_id": str(org_id),
        "credit_balance": format_money(balance),
        "threshold": format_money(threshold),
    }
    return NewEvent(org_id, EventType.CREDITS_LOW, data)


async def _announce_low_balance(
    session: AsyncSession, outbox: Outbox, crossed: Sequence[NewEvent], now: datetime
) -> None:
    """`credits.low`, once per crossing: the debit that takes the balance from at or above
    the threshold to below it is the only one that sees both sides."""
    for event in crossed:
        assert isinstance(event.data, dict)  # as `_low_balance` makes it
        log.warning("credits_low", **event.data)
    subscribed = await subscriptions(session, {event.org_id for event in crossed})
    await record_events(session, outbox, subscribed, crossed, now)

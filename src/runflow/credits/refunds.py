"""Refunds: an operator gives back what runs were charged (DESIGN §16's `refund` rows).

A run's refund is what it still stands charged — its `usage` less any refund it already got —
so refunding twice, or a run and then its batch, never gives back more than was taken. One
`refund` row per run, with its run and batch, and the balance walked up row by row, as `settle`
walks it down. The org's row is locked before the charges are read, so two refunds of the same
run at once cannot both see it unrefunded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.models import Org
from runflow.credits.models import CreditTransaction, TransactionKind
from runflow.kit.ids import new_id
from runflow.kit.money import from_nanos, to_nanos

_orgs = cast(Table, Org.__table__)
_ledger = cast(Table, CreditTransaction.__table__)


class NothingToRefund(LookupError):
    """The runs named cost nothing, or were refunded already."""


@dataclass(frozen=True)
class Refunded:
    runs: int
    amount: Decimal
    balance_after: Decimal


async def refund(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    run_id: uuid.UUID | None = None,
    batch_id: uuid.UUID | None = None,
    description: str | None = None,
    now: datetime,
) -> Refunded:
    """Refund one run, or every run of a batch, of `org_id`."""
    if (run_id is None) == (batch_id is None):
        raise ValueError("name a run or a batch")
    await session.execute(select(_orgs.c.id).where(_orgs.c.id == org_id).with_for_update())
    which = _ledger.c.run_id == run_id if run_id is not None else _ledger.c.batch_id == batch_id
    charged = await session.execute(
        select(_ledger.c.run_id, _ledger.c.batch_id, func.sum(_ledger.c.amount))
        .where(
            _ledger.c.org_id == org_id,
            which,
            _ledger.c.kind_code.in_((TransactionKind.USAGE, TransactionKind.REFUND)),
        )
        .group_by(_ledger.c.run_id, _ledger.c.batch_id)
        .order_by(_ledger.c.run_id)
    )
    # Net of usage (negative) and refunds (positive): what each run still stands charged.
    owed = [(run, batch, -to_nanos(net)) for run, batch, net in charged if net < 0]
    if not owed:
        raise NothingToRefund("nothing to refund: no charge, or refunded already")
    total = sum(nanos for _, _, nanos in owed)
    balance = await session.scalar(
        update(_orgs)
        .where(_orgs.c.id == org_id)
        .values(credit_balance=_orgs.c.credit_balance + from_nanos(total))
        .returning(_orgs.c.credit_balance)
    )
    assert balance is not None  # locked above
    before = to_nanos(balance) - total
    rows = []
    for run, batch, nanos in owed:
        before += nanos
        rows.append(
            CreditTransaction(
                id=new_id(),
                org_id=org_id,
                amount=from_nanos(nanos),
                balance_after=from_nanos(before),
                kind_code=TransactionKind.REFUND,
                run_id=run,
                batch_id=batch,
                description=description,
                created_at=now,
            )
        )
    session.add_all(rows)
    await session.flush()
    return Refunded(len(rows), from_nanos(total), balance)

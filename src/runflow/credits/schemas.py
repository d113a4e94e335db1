"""Credit shapes: the ledger's rows and cost estimates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from runflow.catalog.pricing import PriceRule
from runflow.credits.estimates import Estimate
from runflow.kit.schemas import CursorPage, MoneyString, Schema


class CreditTransactionRead(Schema):
    """One change of the balance: `amount` is signed (a grant adds, usage takes away) and
    `balance_after` is the balance it left."""

    id: uuid.UUID
    org_id: uuid.UUID
    amount: MoneyString
    balance_after: MoneyString
    kind_code: str = Field(description="`grant`, `usage`, `refund` or `adjustment`.")
    run_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    description: str | None
    created_at: datetime


class CreditTransactionList(CursorPage):
    items: list[CreditTransactionRead]


class ItemEstimate(BaseModel):
    sequence_index: int
    client_ref: str | None
    cost: MoneyString


class CostEstimate(BaseModel):
    """What the create would cost, from the model's pricing rules."""

    cost: MoneyString
    currency_code: str = "USD"
    items: list[ItemEstimate]
    note: str | None = Field(
        default=None,
        description="Set when the estimate is not the exact cost: the model has no pricing, "
        "or a figure could not be read from the input (counted as 0).",
    )


def cost_estimate(
    rules: Sequence[PriceRule], items: Sequence[tuple[int, str | None, Estimate]]
) -> CostEstimate:
    """The response for `items` — (sequence index, client_ref, estimate) each."""
    unknown = sorted(set().union(*(estimate.unknown for _, _, estimate in items)))
    note = None
    if not rules:
        note = "This model has no pricing rules: its runs cost nothing."
    elif unknown:
        note = (
            f"The input does not give {', '.join(unknown)} and no pricing rule bounds it; "
            "counted as 0, so the estimate is a lower bound."
        )
    return CostEstimate(
        cost=sum((estimate.cost for _, _, estimate in items), Decimal(0)),
        currency_code=rules[0].currency_code if rules else "USD",
        items=[
            ItemEstimate(sequence_index=index, client_ref=client_ref, cost=estimate.cost)
            for index, client_ref, estimate in items
        ],
        note=note,
    )

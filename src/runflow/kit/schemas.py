"""Pydantic building blocks shared by every domain's response schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from runflow.kit.money import format_money

MONEY_PATTERN = r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$"

MoneyString = Annotated[
    Decimal,
    PlainSerializer(format_money, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]
"""An exact amount, serialised as a plain decimal string (`"0.0125"`, never an exponent)."""


class Schema(BaseModel):
    """Response schemas read straight from ORM rows."""

    model_config = ConfigDict(from_attributes=True)

"""`GET /v1/account`: who the key belongs to, in which org, with which role."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from runflow.auth.dependencies import Reader
from runflow.errors import ERROR_RESPONSES
from runflow.kit.money import format_money

router = APIRouter(prefix="/v1/account", tags=["Account"], responses=ERROR_RESPONSES)


class AccountUser(BaseModel):
    id: uuid.UUID
    email: str


class AccountOrg(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class Account(BaseModel):
    user: AccountUser
    org: AccountOrg
    role: str
    credit_balance: str
    credit_reserved: str = Field(
        description="Held back for accepted runs that have not ended (when credits are enforced)."
    )
    credits_enforced: bool = Field(
        description="Whether a create whose estimate exceeds `credit_balance − credit_reserved` "
        "is refused with `402 INSUFFICIENT_CREDITS`."
    )
    low_balance_threshold: str | None = Field(
        description="`credits.low` fires when the balance falls below this; null: never."
    )


@router.get("", summary="Get account", operation_id="getAccount")
async def get_account(principal: Reader) -> Account:
    """Read your account identity, the current organization, your role and credit balance."""
    threshold = principal.low_balance_threshold
    return Account(
        user=AccountUser(id=principal.user_id, email=principal.email),
        org=AccountOrg(id=principal.org_id, slug=principal.org_slug, name=principal.org_name),
        role=principal.role,
        credit_balance=format_money(principal.credit_balance),
        credit_reserved=format_money(principal.credit_reserved),
        credits_enforced=principal.credits_enforced,
        low_balance_threshold=None if threshold is None else format_money(threshold),
    )

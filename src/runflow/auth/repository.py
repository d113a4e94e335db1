"""Queries for authentication and for provisioning tenants."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, Uuid, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.models import ApiKey, Membership, Org, User


@dataclass(frozen=True)
class KeyHolder:
    """An API key row with its user and, when it exists, the membership in the asked org."""

    key_id: uuid.UUID
    secret_hash: str
    revoked_at: datetime | None
    is_impersonation: bool
    user_id: uuid.UUID
    email: str
    email_verified_at: datetime | None
    org_id: uuid.UUID
    has_membership: bool
    role: str | None
    org_slug: str | None
    org_name: str | None
    credit_balance: Decimal | None
    credit_reserved: Decimal | None
    low_balance_threshold: Decimal | None
    credits_enforced: bool | None


@functools.cache
def _key_holder(explicit_org: bool) -> Select[*tuple[Any, ...]]:
    """Built once per shape: every request runs it, and building it cost more than running
    it."""
    wanted_org = bindparam("org_id", type_=Uuid()) if explicit_org else ApiKey.default_org_id
    return (
        select(
            ApiKey.id,
            ApiKey.secret_hash,
            ApiKey.revoked_at,
            ApiKey.is_impersonation,
            User.id,
            User.email,
            User.email_verified_at,
            ApiKey.default_org_id,
            Membership.id,
            Membership.role,
            Org.slug,
            Org.name,
            Org.credit_balance,
            Org.credit_reserved,
            Org.low_balance_threshold,
            Org.credits_enforced,
        )
        .join(User, User.id == ApiKey.user_id)
        .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.org_id == wanted_org))
        .outerjoin(Org, Org.id == Membership.org_id)
        .where(ApiKey.lookup_prefix == bindparam("lookup_prefix", type_=String()))
    )


async def find_key_holder(
    session: AsyncSession, lookup_prefix: str, org_id: uuid.UUID | None
) -> KeyHolder | None:
    """One query: the key, its user, and the membership in `org_id` (default: the key's)."""
    statement = _key_holder(explicit_org=org_id is not None)
    parameters: dict[str, Any] = {"lookup_prefix": lookup_prefix}
    if org_id is not None:
        parameters["org_id"] = org_id
    row = (await session.execute(statement, parameters)).one_or_none()
    if row is None:
        return None
    return KeyHolder(
        key_id=row[0],
        secret_hash=row[1],
        revoked_at=row[2],
        is_impersonation=row[3],
        user_id=row[4],
        email=row[5],
        email_verified_at=row[6],
        org_id=org_id or row[7],
        has_membership=row[8] is not None,
        role=row[9],
        org_slug=row[10],
        org_name=row[11],
        credit_balance=row[12],
        credit_reserved=row[13],
        low_balance_threshold=row[14],
        credits_enforced=row[15],
    )


async def get_org_by_slug(session: AsyncSession, slug: str) -> Org | None:
    return await session.scalar(select(Org).where(Org.slug == slug))


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def get_membership(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    )


async def get_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.lookup_prefix == prefix))

"""Signing secrets: created on first need, rotated with a grace period (DESIGN §6).

Each org has one *current* secret (`expires_at` null). Rotating stamps the current one with
`expires_at = now + ROTATION_GRACE` and adds a new current one; until then both sign every
callback, so receivers can switch secrets without dropping a message.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.models import Org
from runflow.webhooks.models import SigningSecret

ROTATION_GRACE = timedelta(hours=24)
PREFIX = "whsec_"


def new_secret_value() -> str:
    """`whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


async def _live(
    session: AsyncSession, org_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[SigningSecret]]:
    statement = (
        select(SigningSecret)
        .where(
            SigningSecret.org_id.in_(org_ids),
            or_(SigningSecret.expires_at.is_(None), SigningSecret.expires_at > now),
        )
        .order_by(SigningSecret.org_id, SigningSecret.created_at.desc())
        .execution_options(populate_existing=True)
    )
    found: defaultdict[uuid.UUID, list[SigningSecret]] = defaultdict(list)
    for secret in await session.scalars(statement):
        found[secret.org_id].append(secret)
    # Current (never-expiring) first: it is the one a delivery records as having signed.
    for org_secrets in found.values():
        org_secrets.sort(key=lambda secret: secret.expires_at is not None)
    return found


async def signing_secrets(
    session: AsyncSession, org_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[SigningSecret]]:
    """Every org's secrets that sign now, current first; an org without one gets one.

    Creation locks the org row (PostgreSQL), so concurrent first uses agree on one secret.
    """
    found = await _live(session, org_ids, now)
    missing = [org_id for org_id in org_ids if not _has_current(found.get(org_id, []))]
    if not missing:
        return found
    await _lock_orgs(session, missing)
    found = await _live(session, org_ids, now)
    for org_id in missing:
        if not _has_current(found.get(org_id, [])):
            secret = SigningSecret(org_id=org_id, secret=new_secret_value(), created_at=now)
            session.add(secret)
            found[org_id].insert(0, secret)
    await session.flush()
    return found


async def _lock_orgs(session: AsyncSession, org_ids: Collection[uuid.UUID]) -> None:
    """Serialise secret changes per org (SQLite writers are serialised already)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(Org.id).where(Org.id.in_(org_ids)).with_for_update())


def _has_current(org_secrets: list[SigningSecret]) -> bool:
    return bool(org_secrets) and org_secrets[0].expires_at is None


async def rotate(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[SigningSecret]:
    """Retire the current secret after `ROTATION_GRACE` and make a new one current."""
    await _lock_orgs(session, [org_id])
    await signing_secrets(session, [org_id], now)
    await session.execute(
        update(SigningSecret)
        .where(SigningSecret.org_id == org_id, SigningSecret.expires_at.is_(None))
        .values(expires_at=now + ROTATION_GRACE)
        .execution_options(synchronize_session=False)
    )
    session.add(SigningSecret(org_id=org_id, secret=new_secret_value(), created_at=now))
    await session.flush()
    return (await _live(session, [org_id], now))[org_id]

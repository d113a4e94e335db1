"""Signing secrets: created on first need, rotated with a grace period (DESIGN §6, §15).

Each org has one *current* secret (`expires_at` null) for its batch and run callbacks, and so
does each webhook endpoint, for its events. Rotating stamps the current one with
`expires_at = now + ROTATION_GRACE` and adds a new current one; until then both sign every
callback, so receivers can switch secrets without dropping a message.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.models import Org
from runflow.webhooks.models import SigningSecret
from runflow.webhooks.schemas import RetiringSecret, SigningSecretRead

ROTATION_GRACE = timedelta(hours=24)
PREFIX = "whsec_"


def new_secret_value() -> str:
    """`whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


async def _live(
    session: AsyncSession, org_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[SigningSecret]]:
    owned = SigningSecret.org_id.in_(org_ids) & SigningSecret.endpoint_id.is_(None)
    found = await _live_where(session, owned, now)
    return _by(found, lambda secret: secret.org_id)


async def _live_where(
    session: AsyncSession, owned: ColumnElement[bool], now: datetime
) -> list[SigningSecret]:
    statement = (
        select(SigningSecret)
        .where(owned, or_(SigningSecret.expires_at.is_(None), SigningSecret.expires_at > now))
        .order_by(SigningSecret.created_at.desc())
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(statement))


def _by(
    secrets_: list[SigningSecret], owner: Callable[[SigningSecret], uuid.UUID | None]
) -> defaultdict[uuid.UUID, list[SigningSecret]]:
    found: defaultdict[uuid.UUID, list[SigningSecret]] = defaultdict(list)
    for secret in secrets_:
        key = owner(secret)
        assert key is not None
        found[key].append(secret)
    # Current (never-expiring) first: it is the one a delivery records as having signed.
    for owned in found.values():
        owned.sort(key=lambda secret: secret.expires_at is not None)
    return found


async def endpoint_secrets(
    session: AsyncSession, endpoint_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[SigningSecret]]:
    """Every endpoint's secrets that sign now, current first (made with the endpoint)."""
    owned = SigningSecret.endpoint_id.in_(endpoint_ids)
    return _by(await _live_where(session, owned, now), lambda secret: secret.endpoint_id)


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
    await lock_orgs(session, missing)
    found = await _live(session, org_ids, now)
    for org_id in missing:
        if not _has_current(found.get(org_id, [])):
            secret = SigningSecret(org_id=org_id, secret=new_secret_value(), created_at=now)
            session.add(secret)
            found[org_id].insert(0, secret)
    await session.flush()
    return found


async def lock_orgs(session: AsyncSession, org_ids: Collection[uuid.UUID]) -> None:
    """Serialise secret changes per org (SQLite writers are serialised already)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(Org.id).where(Org.id.in_(org_ids)).with_for_update())


def _has_current(org_secrets: list[SigningSecret]) -> bool:
    return bool(org_secrets) and org_secrets[0].expires_at is None


async def rotate(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[SigningSecret]:
    """Retire the org's current secret after `ROTATION_GRACE` and make a new one current."""
    await lock_orgs(session, [org_id])
    await signing_secrets(session, [org_id], now)
    own = (SigningSecret.org_id == org_id) & SigningSecret.endpoint_id.is_(None)
    await _retire_current(session, own, now)
    session.add(SigningSecret(org_id=org_id, secret=new_secret_value(), created_at=now))
    await session.flush()
    return (await _live(session, [org_id], now))[org_id]


async def rotate_endpoint(
    session: AsyncSession, org_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
) -> list[SigningSecret]:
    """The same for an endpoint's secret; the caller holds the endpoint's row lock."""
    await _retire_current(session, SigningSecret.endpoint_id == endpoint_id, now)
    add_endpoint_secret(session, org_id, endpoint_id, now)
    await session.flush()
    return (await endpoint_secrets(session, [endpoint_id], now))[endpoint_id]


def add_endpoint_secret(
    session: AsyncSession, org_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
) -> SigningSecret:
    secret = SigningSecret(
        org_id=org_id, endpoint_id=endpoint_id, secret=new_secret_value(), created_at=now
    )
    session.add(secret)
    return secret


async def _retire_current(session: AsyncSession, owned: ColumnElement[bool], now: datetime) -> None:
    await session.execute(
        update(SigningSecret)
        .where(owned, SigningSecret.expires_at.is_(None))
        .values(expires_at=now + ROTATION_GRACE)
        .execution_options(synchronize_session=False)
    )


def secret_read(live: list[SigningSecret]) -> SigningSecretRead:
    """The current secret and those still retiring, current first."""
    current, *retiring = live
    return SigningSecretRead(
        id=current.id,
        secret=current.secret,
        created_at=current.created_at,
        retiring=[RetiringSecret.model_validate(secret) for secret in retiring],
    )

"""Dashboard sessions: created at sign-in, read on every page, ended at sign-out or expiry.

The cookie carries a random token, signed with a service secret (itsdangerous) so a forged or
altered cookie is refused before any lookup. The row is found by the token's SHA-256, and the
API key is sealed (Fernet) under a key derived from the token: only a request that presents the
cookie can use the key."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.dashboard.models import DashboardSession
from runflow.keyring.service import service_secret
from runflow.kit.clock import utcnow

COOKIE = "rf_dashboard"
SESSION_TTL = timedelta(hours=12)
_SECRET_NAME = "dashboard-session"


@dataclass(frozen=True)
class SignedIn:
    """What a page needs of its session."""

    id: uuid.UUID
    api_key: str
    csrf_token: str
    org_id: uuid.UUID | None


async def _serializer(session: AsyncSession) -> URLSafeSerializer:
    return URLSafeSerializer(await service_secret(session, _SECRET_NAME), salt="dashboard")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sealer(token: str) -> Fernet:
    derived = hashlib.sha256(b"runflow-dashboard-seal\0" + token.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


async def start(session: AsyncSession, api_key_id: uuid.UUID, api_key: str) -> str:
    """A new session for a key that has just been checked; returns the cookie's value."""
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=_hash(token),
            api_key_id=api_key_id,
            sealed_api_key=_sealer(token).encrypt(api_key.encode()),
            csrf_token=secrets.token_urlsafe(32),
            expires_at=utcnow() + SESSION_TTL,
        )
    )
    await session.execute(delete(DashboardSession).where(DashboardSession.expires_at < utcnow()))
    return (await _serializer(session)).dumps(token)


async def _token(session: AsyncSession, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        token = (await _serializer(session)).loads(cookie)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


async def find(session: AsyncSession, cookie: str | None) -> SignedIn | None:
    """The live session of this cookie; None when absent, forged, ended or expired."""
    token = await _token(session, cookie)
    if token is None:
        return None
    row = await session.scalar(
        select(DashboardSession).where(
            DashboardSession.token_hash == _hash(token), DashboardSession.expires_at > utcnow()
        )
    )
    if row is None:
        return None
    try:
        api_key = _sealer(token).decrypt(row.sealed_api_key).decode()
    except InvalidToken:
        return None
    return SignedIn(row.id, api_key, row.csrf_token, row.org_id)


async def end(session: AsyncSession, cookie: str | None) -> None:
    token = await _token(session, cookie)
    if token is not None:
        await session.execute(
            delete(DashboardSession).where(DashboardSession.token_hash == _hash(token))
        )


async def choose_org(session: AsyncSession, session_id: uuid.UUID, org_id: uuid.UUID) -> None:
    await session.execute(
        update(DashboardSession).where(DashboardSession.id == session_id).values(org_id=org_id)
    )

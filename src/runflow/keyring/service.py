"""Read a named secret, creating it once; concurrent first starts agree on one value."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.keyring.models import ServiceSecret

CURSOR_SECRET = "cursor-signing"


async def service_secret(session: AsyncSession, name: str) -> str:
    existing = await session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == name))
    if existing is not None:
        return existing
    try:
        async with session.begin_nested():
            session.add(ServiceSecret(name=name, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another process created it first; use theirs
    value = await session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == name))
    assert value is not None
    return value

"""Provisioning tenants and keys: used by the CLI, by bootstrap at start, and by tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth import repository
from runflow.auth.keys import KeyMaterial, generate_key, material_for
from runflow.auth.models import ApiKey, Membership, Org, User
from runflow.auth.roles import Role
from runflow.kit.clock import utcnow

BOOTSTRAP_ORG_SLUG = "default"
BOOTSTRAP_EMAIL = "owner@runflow.local"


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key. `token` is shown once and never stored."""

    token: str
    api_key: ApiKey
    user: User
    org: Org


async def ensure_org(
    session: AsyncSession, slug: str, name: str | None = None, *, credits_enforced: bool = False
) -> Org:
    """The org `slug`, created when missing; a new org enforces credits as the operator's
    `RUNFLOW_CREDITS_ENFORCED` says (callers pass it), an existing one keeps its setting."""
    org = await repository.get_org_by_slug(session, slug)
    if org is None:
        org = Org(slug=slug, name=name or slug, credits_enforced=credits_enforced)
        session.add(org)
        await session.flush()
    return org


async def ensure_user(session: AsyncSession, email: str, *, verified: bool = True) -> User:
    user = await repository.get_user_by_email(session, email)
    if user is None:
        user = User(email=email, email_verified_at=utcnow() if verified else None)
        session.add(user)
        await session.flush()
    return user


async def ensure_membership(
    session: AsyncSession, org: Org, user: User, role: Role | str | None
) -> Membership:
    membership = await repository.get_membership(session, org.id, user.id)
    if membership is None:
        membership = Membership(org_id=org.id, user_id=user.id, role=role)
        session.add(membership)
        await session.flush()
    return membership


async def issue_key(
    session: AsyncSession,
    *,
    org_slug: str,
    email: str,
    role: Role | str | None = Role.OWNER,
    verified: bool = True,
    impersonation: bool = False,
    name: str = "",
    token: str | None = None,
    credits_enforced: bool = False,
) -> IssuedKey:
    """Create (or reuse) the org, user and membership, then a new key for them."""
    org = await ensure_org(session, org_slug, credits_enforced=credits_enforced)
    user = await ensure_user(session, email, verified=verified)
    await ensure_membership(session, org, user, role)
    material: KeyMaterial = material_for(token) if token else generate_key()
    api_key = ApiKey(
        user_id=user.id,
        default_org_id=org.id,
        name=name,
        lookup_prefix=material.lookup_prefix,
        secret_hash=material.secret_hash,
        is_impersonation=impersonation,
    )
    session.add(api_key)
    await session.flush()
    return IssuedKey(material.token, api_key, user, org)


async def bootstrap(session: AsyncSession, token: str, *, credits_enforced: bool = False) -> None:
    """Make `token` a working owner key of the org `default` (idempotent across restarts)."""
    material = material_for(token)
    existing = await repository.get_key_by_prefix(session, material.lookup_prefix)
    if existing is not None:
        if existing.secret_hash != material.secret_hash:
            raise ValueError(
                "RUNFLOW_BOOTSTRAP_API_KEY shares its first characters with another key; "
                "choose a different key."
            )
        return
    await issue_key(
        session,
        org_slug=BOOTSTRAP_ORG_SLUG,
        email=BOOTSTRAP_EMAIL,
        token=token,
        name="bootstrap",
        credits_enforced=credits_enforced,
    )

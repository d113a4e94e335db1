"""The `Principal` of a request and the typed dependencies routes declare: `Reader`, `Writer`.

Order of checks (each a distinct, documented error):
missing or malformed bearer token, unknown or revoked key → 401 UNAUTHORIZED, with
`WWW-Authenticate: Bearer`, whatever `X-Organization-Id` says (authentication comes before
authorization);
`X-Organization-Id` not a uuid, or it (or the key's default org) not among the user's
memberships → 403 ORGANIZATION_MEMBERSHIP_REQUIRED;
membership without a known role → 403 ROLE_UNRESOLVED;
writes only: impersonation key → IMPERSONATION_READ_ONLY, unverified email → EMAIL_NOT_VERIFIED,
viewer → PERMISSION_DENIED.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.keys import lookup_prefix, token_matches
from runflow.auth.repository import KeyHolder, find_key_holder
from runflow.auth.roles import Role
from runflow.db.dependencies import ReadSession, get_database
from runflow.errors import Forbidden, ForbiddenCode, Unauthorized

_bearer = HTTPBearer(auto_error=False)

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
OrganizationHeader = Annotated[str | None, Header(alias="X-Organization-Id")]


@dataclass(frozen=True)
class Principal:
    """Who is calling, and in which org. Every query of the request is scoped by `org_id`."""

    user_id: uuid.UUID
    email: str
    org_id: uuid.UUID
    org_slug: str
    org_name: str
    role: Role
    api_key_id: uuid.UUID
    credit_balance: Decimal
    credit_reserved: Decimal = Decimal(0)
    low_balance_threshold: Decimal | None = None
    # Creates must fit in the balance less what is reserved (`credits/`).
    credits_enforced: bool = False


def _org_id(header: str | None) -> uuid.UUID | None:
    """The org `X-Organization-Id` names; `None` when it is absent or no uuid."""
    if header is None or not header.strip():
        return None
    try:
        return uuid.UUID(header.strip())
    except ValueError:
        return None


async def authenticate(
    session: AsyncSession,
    credentials: HTTPAuthorizationCredentials | None,
    organization: str | None,
) -> tuple[Principal, KeyHolder]:
    """The principal of a key (and `X-Organization-Id`), or the 401/403 the API answers."""
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("Send your API key as `Authorization: Bearer <key>`.")
    token = credentials.credentials.strip()
    org_id = _org_id(organization)
    holder = await find_key_holder(session, lookup_prefix(token), org_id)
    if holder is None or not token_matches(token, holder.secret_hash):
        raise Unauthorized("The API key is not valid.")
    if holder.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.")
    # The org header is judged only once the key is good: authentication before
    # authorization, so a bad key is a 401 whatever the header holds.
    if org_id is None and organization is not None and organization.strip():
        raise Forbidden(
            ForbiddenCode.ORGANIZATION_MEMBERSHIP_REQUIRED,
            "X-Organization-Id is not an organization you are a member of.",
        )
    if not holder.has_membership:
        raise Forbidden(
            ForbiddenCode.ORGANIZATION_MEMBERSHIP_REQUIRED,
            "You are not a member of this organization.",
        )
    if holder.role not in Role._value2member_map_:
        raise Forbidden(
            ForbiddenCode.ROLE_UNRESOLVED, "Your membership in this organization has no role."
        )
    assert holder.org_slug is not None
    assert holder.role is not None
    assert holder.org_name is not None
    principal = Principal(
        user_id=holder.user_id,
        email=holder.email,
        org_id=holder.org_id,
        org_slug=holder.org_slug,
        org_name=holder.org_name,
        role=Role(holder.role),
        api_key_id=holder.key_id,
        credit_balance=holder.credit_balance or Decimal(0),
        credit_reserved=holder.credit_reserved or Decimal(0),
        low_balance_threshold=holder.low_balance_threshold,
        credits_enforced=bool(holder.credits_enforced),
    )
    return principal, holder


async def _reader(
    session: ReadSession, credentials: BearerCredentials, organization: OrganizationHeader = None
) -> Principal:
    principal, _ = await authenticate(session, credentials, organization)
    return principal


async def _writer(
    request: Request, credentials: BearerCredentials, organization: OrganizationHeader = None
) -> Principal:
    # A read transaction of its own: the route's write transaction (on SQLite, its turn at
    # the one writer) then starts only when the route itself first touches the database.
    async with get_database(request).transaction(write=False) as session:
        principal, holder = await authenticate(session, credentials, organization)
    if holder.is_impersonation:
        raise Forbidden(ForbiddenCode.IMPERSONATION_READ_ONLY, "Impersonation keys may only read.")
    if holder.email_verified_at is None:
        raise Forbidden(
            ForbiddenCode.EMAIL_NOT_VERIFIED, "Verify your email address before making changes."
        )
    if principal.role is Role.VIEWER:
        raise Forbidden(ForbiddenCode.PERMISSION_DENIED, "Viewers may only read.")
    return principal


Reader = Annotated[Principal, Depends(_reader)]
"""Any member with a role; pair with `ReadSession`."""

Writer = Annotated[Principal, Depends(_writer)]
"""A member allowed to change things; pair with `WriteSession`."""

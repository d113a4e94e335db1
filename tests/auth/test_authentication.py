"""Authentication, org selection, roles and tenancy (DESIGN §4, §4.2), over real HTTP.

Every test runs on SQLite and on PostgreSQL (the `database_url` fixture is parametrized).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

import httpx
import pytest
from sqlalchemy import select, text, update

from runflow.auth import repository as auth_repository
from runflow.auth import service as auth_service
from runflow.auth.models import ApiKey, Org, User
from runflow.auth.roles import Role
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from tests.conftest import MakeKey, RowCounts

Operation = Literal["read", "write"]

ACCOUNT = "/v1/account"
CREATE_BATCH = "/v1/models/runflow/echo/batches"
BATCH_BODY: dict[str, Any] = {"input": [{"message": "hello"}]}
ENVELOPE_KEYS = {"code", "message", "errors"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the `{code, message, errors}` envelope with this status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    if status == 401:
        assert response.headers.get_list("WWW-Authenticate") == ["Bearer"], response.headers
    return body


async def send(
    client: httpx.AsyncClient, operation: Operation, headers: dict[str, str]
) -> httpx.Response:
    """A read (`GET /v1/account`) or a write (`POST` a batch) with these headers."""
    if operation == "read":
        return await client.get(ACCOUNT, headers=headers)
    return await client.post(CREATE_BATCH, json=BATCH_BODY, headers=headers)


async def create_batch(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=headers)
    assert response.status_code == 201, response.text
    batch_id: str = response.json()["id"]
    return batch_id


async def org_id_of(database: Database, slug: str) -> uuid.UUID:
    async with database.transaction(write=False) as session:
        org = await auth_repository.get_org_by_slug(session, slug)
    assert org is not None
    return org.id


async def add_membership(database: Database, *, org: str, email: str, role: str | None) -> Org:
    """Make the existing user `email` a member of `org` (created when missing) with `role`."""
    async with database.transaction() as session:
        created = await auth_service.ensure_org(session, org, name=f"{org.title()} Inc")
        user = await auth_repository.get_user_by_email(session, email)
        assert user is not None
        await auth_service.ensure_membership(session, created, user, role)
    return created


OPERATIONS = pytest.mark.parametrize("operation", ["read", "write"])


# --- 401 UNAUTHORIZED ----------------------------------------------------------------------


@OPERATIONS
async def test_missing_authorization_header_is_unauthorized(
    client: httpx.AsyncClient, api_key: str, row_counts: RowCounts, operation: Operation
) -> None:
    before = await row_counts()
    response = await send(client, operation, {})
    assert_error(response, 401, "UNAUTHORIZED")
    assert await row_counts() == before


@OPERATIONS
@pytest.mark.parametrize(
    "header",
    [
        "Token abc",
        "Token {key}",
        "Bearer",
        "Basic dXNlcjpwYXNzd29yZA==",
        "Basic {key}",
        "{key}",
    ],
    ids=[
        "token-scheme",
        "token-scheme-with-real-key",
        "bearer-without-key",
        "basic-credentials",
        "basic-scheme-with-real-key",
        "real-key-without-scheme",
    ],
)
async def test_malformed_authorization_header_is_unauthorized(
    client: httpx.AsyncClient,
    api_key: str,
    row_counts: RowCounts,
    operation: Operation,
    header: str,
) -> None:
    before = await row_counts()
    response = await send(client, operation, {"Authorization": header.format(key=api_key)})
    assert_error(response, 401, "UNAUTHORIZED")
    assert await row_counts() == before


@OPERATIONS
async def test_unknown_key_with_valid_shape_is_unauthorized(
    client: httpx.AsyncClient, api_key: str, row_counts: RowCounts, operation: Operation
) -> None:
    unknown = "rf_" + secrets.token_urlsafe(32)
    assert unknown[:12] != api_key[:12]
    before = await row_counts()
    response = await send(client, operation, bearer(unknown))
    assert_error(response, 401, "UNAUTHORIZED")
    assert await row_counts() == before


@OPERATIONS
@pytest.mark.parametrize(
    "forge",
    [
        lambda key: key[:12] + secrets.token_urlsafe(32),
        lambda key: key[:12],
        lambda key: key + "x",
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
    ],
    ids=["other-secret", "prefix-only", "extra-character", "last-character-changed"],
)
async def test_key_sharing_lookup_prefix_with_different_secret_is_unauthorized(
    client: httpx.AsyncClient,
    api_key: str,
    row_counts: RowCounts,
    operation: Operation,
    forge: Callable[[str], str],
) -> None:
    forged = forge(api_key)
    assert forged != api_key
    assert forged[:12] == api_key[:12]
    before = await row_counts()
    response = await send(client, operation, bearer(forged))
    assert_error(response, 401, "UNAUTHORIZED")
    assert await row_counts() == before


@OPERATIONS
async def test_revoked_key_is_unauthorized(
    client: httpx.AsyncClient,
    api_key: str,
    database: Database,
    row_counts: RowCounts,
    operation: Operation,
) -> None:
    assert (await client.get(ACCOUNT, headers=bearer(api_key))).status_code == 200
    async with database.transaction() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.lookup_prefix == api_key[:12]).values(revoked_at=utcnow())
        )
    before = await row_counts()
    response = await send(client, operation, bearer(api_key))
    assert_error(response, 401, "UNAUTHORIZED")
    assert await row_counts() == before


async def test_revoked_key_is_unauthorized_before_organization_is_checked(
    client: httpx.AsyncClient, api_key: str, make_key: MakeKey, database: Database
) -> None:
    await make_key(org="other", email="someone@other.test")
    other = await org_id_of(database, "other")
    async with database.transaction() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.lookup_prefix == api_key[:12]).values(revoked_at=utcnow())
        )
    response = await client.get(
        ACCOUNT, headers=bearer(api_key) | {"X-Organization-Id": str(other)}
    )
    assert_error(response, 401, "UNAUTHORIZED")


BAD_KEYS = pytest.mark.parametrize(
    ("authorization", "revoke"),
    [
        (None, False),
        ("Basic dXNlcjpwYXNzd29yZA==", False),
        ("Bearer", False),
        ("Bearer {unknown}", False),
        ("Bearer {other_secret}", False),
        ("Bearer {key}", True),
    ],
    ids=["missing", "basic-scheme", "bearer-without-key", "unknown", "wrong-secret", "revoked"],
)


@OPERATIONS
@BAD_KEYS
async def test_bad_key_is_unauthorized_whatever_the_organization_header_holds(
    client: httpx.AsyncClient,
    api_key: str,
    make_key: MakeKey,
    database: Database,
    row_counts: RowCounts,
    operation: Operation,
    authorization: str | None,
    revoke: bool,
) -> None:
    await make_key(org="other", email="someone@other.test", role=Role.OWNER)
    organizations = {
        "own org": str(await org_id_of(database, "acme")),
        "another org": str(await org_id_of(database, "other")),
        "unknown uuid": str(uuid.uuid4()),
        "not a uuid": "not-a-uuid",
        "slug": "acme",
        "sql": "' OR 1=1 --",
        "uuid with junk": f"{uuid.uuid4()}x",
        "long": "9" * 2000,
        "blank": " ",
        "empty": "",
    }
    if revoke:
        async with database.transaction() as session:
            await session.execute(
                update(ApiKey)
                .where(ApiKey.lookup_prefix == api_key[:12])
                .values(revoked_at=utcnow())
            )
    headers: dict[str, str] = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(
            key=api_key,
            unknown="rf_" + secrets.token_urlsafe(32),
            other_secret=api_key[:12] + secrets.token_urlsafe(32),
        )
    before = await row_counts()

    response = await send(client, operation, headers)
    assert_error(response, 401, "UNAUTHORIZED")
    for name, value in organizations.items():
        response = await send(client, operation, headers | {"X-Organization-Id": value})
        assert response.status_code == 401, (name, response.text)
        assert_error(response, 401, "UNAUTHORIZED")

    assert await row_counts() == before


# --- X-Organization-Id ---------------------------------------------------------------------


@OPERATIONS
async def test_organization_header_of_existing_org_without_membership_is_forbidden(
    client: httpx.AsyncClient,
    api_key: str,
    make_key: MakeKey,
    database: Database,
    row_counts: RowCounts,
    operation: Operation,
) -> None:
    await make_key(org="other", email="someone@other.test", role=Role.OWNER)
    other = await org_id_of(database, "other")
    before = await row_counts()
    response = await send(client, operation, bearer(api_key) | {"X-Organization-Id": str(other)})
    assert_error(response, 403, "ORGANIZATION_MEMBERSHIP_REQUIRED")
    assert await row_counts() == before


@OPERATIONS
async def test_organization_header_of_unknown_org_id_is_forbidden(
    client: httpx.AsyncClient, api_key: str, row_counts: RowCounts, operation: Operation
) -> None:
    before = await row_counts()
    response = await send(
        client, operation, bearer(api_key) | {"X-Organization-Id": str(uuid.uuid4())}
    )
    assert_error(response, 403, "ORGANIZATION_MEMBERSHIP_REQUIRED")
    assert await row_counts() == before


@OPERATIONS
@pytest.mark.parametrize("value", ["acme", "not-a-uuid", "12345", "' OR 1=1 --"])
async def test_organization_header_that_is_not_a_uuid_is_forbidden(
    client: httpx.AsyncClient,
    api_key: str,
    row_counts: RowCounts,
    operation: Operation,
    value: str,
) -> None:
    before = await row_counts()
    response = await send(client, operation, bearer(api_key) | {"X-Organization-Id": value})
    assert_error(response, 403, "ORGANIZATION_MEMBERSHIP_REQUIRED")
    assert await row_counts() == before


async def test_organization_header_of_own_default_org_acts_in_it(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    acme = await org_id_of(database, "acme")
    response = await client.get(ACCOUNT, headers=bearer(api_key) | {"X-Organization-Id": str(acme)})
    assert response.status_code == 200, response.text
    assert response.json()["org"]["id"] == str(acme)


async def test_organization_header_of_other_member_org_switches_account_org(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    beta = await add_membership(database, org="beta", email="dev@acme.test", role=Role.ADMIN)
    response = await client.get(
        ACCOUNT, headers=bearer(api_key) | {"X-Organization-Id": str(beta.id)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["org"] == {"id": str(beta.id), "slug": "beta", "name": "Beta Inc"}
    assert body["role"] == "admin"
    assert body["user"]["email"] == "dev@acme.test"


async def test_batch_created_in_other_member_org_is_visible_only_with_its_header(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    beta = await add_membership(database, org="beta", email="dev@acme.test", role=Role.DEVELOPER)
    in_beta = bearer(api_key) | {"X-Organization-Id": str(beta.id)}
    batch_id = await create_batch(client, in_beta)

    seen = await client.get(f"/v1/batches/{batch_id}", headers=in_beta)
    assert seen.status_code == 200, seen.text
    assert seen.json()["org_id"] == str(beta.id)
    listed = await client.get("/v1/batches", headers=in_beta)
    assert [item["id"] for item in listed.json()["items"]] == [batch_id]

    assert_error(
        await client.get(f"/v1/batches/{batch_id}", headers=bearer(api_key)), 404, "NOT_FOUND"
    )
    default_list = await client.get("/v1/batches", headers=bearer(api_key))
    assert default_list.status_code == 200, default_list.text
    assert default_list.json()["items"] == []


async def test_role_is_taken_from_membership_of_requested_org(
    client: httpx.AsyncClient, api_key: str, database: Database, row_counts: RowCounts
) -> None:
    beta = await add_membership(database, org="beta", email="dev@acme.test", role=Role.VIEWER)
    in_beta = bearer(api_key) | {"X-Organization-Id": str(beta.id)}
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=in_beta)
    assert_error(response, 403, "PERMISSION_DENIED")
    assert await row_counts() == before
    # The same key is a developer in its default org.
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(api_key))
    assert response.status_code == 201, response.text


# --- ROLE_UNRESOLVED -----------------------------------------------------------------------


UNRESOLVED_ROLES = pytest.mark.parametrize(
    "role", [None, "superuser", "", "Owner"], ids=["none", "superuser", "empty", "capitalised"]
)


@UNRESOLVED_ROLES
async def test_membership_without_known_role_cannot_read(
    client: httpx.AsyncClient, make_key: MakeKey, role: str | None
) -> None:
    key = await make_key(role=role)
    assert_error(await client.get(ACCOUNT, headers=bearer(key)), 403, "ROLE_UNRESOLVED")
    assert_error(await client.get("/v1/batches", headers=bearer(key)), 403, "ROLE_UNRESOLVED")


@UNRESOLVED_ROLES
async def test_membership_without_known_role_cannot_write(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts, role: str | None
) -> None:
    key = await make_key(role=role)
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(key))
    assert_error(response, 403, "ROLE_UNRESOLVED")
    assert await row_counts() == before


async def test_membership_without_role_in_requested_org_is_unresolved(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    beta = await add_membership(database, org="beta", email="dev@acme.test", role=None)
    response = await client.get(
        ACCOUNT, headers=bearer(api_key) | {"X-Organization-Id": str(beta.id)}
    )
    assert_error(response, 403, "ROLE_UNRESOLVED")


# --- viewer, impersonation, unverified email ------------------------------------------------


async def test_viewer_can_read(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    developer = await make_key(email="dev@acme.test", role=Role.DEVELOPER)
    viewer = await make_key(email="viewer@acme.test", role=Role.VIEWER)
    batch_id = await create_batch(client, bearer(developer))

    account = await client.get(ACCOUNT, headers=bearer(viewer))
    assert account.status_code == 200, account.text
    assert account.json()["role"] == "viewer"
    for path in (
        f"/v1/batches/{batch_id}",
        f"/v1/batches/{batch_id}/items",
        f"/v1/batches/{batch_id}/callback",
        "/v1/batches",
    ):
        response = await client.get(path, headers=bearer(viewer))
        assert response.status_code == 200, (path, response.text)


async def test_viewer_cannot_create_batch(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts
) -> None:
    viewer = await make_key(role=Role.VIEWER)
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(viewer))
    assert_error(response, 403, "PERMISSION_DENIED")
    assert await row_counts() == before


async def test_viewer_cannot_cancel_batch(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts
) -> None:
    developer = await make_key(email="dev@acme.test", role=Role.DEVELOPER)
    viewer = await make_key(email="viewer@acme.test", role=Role.VIEWER)
    batch_id = await create_batch(client, bearer(developer))
    before_batch = (await client.get(f"/v1/batches/{batch_id}", headers=bearer(developer))).json()
    before = await row_counts()

    response = await client.post(f"/v1/batches/{batch_id}/cancel", headers=bearer(viewer))
    assert_error(response, 403, "PERMISSION_DENIED")
    assert await row_counts() == before
    after_batch = (await client.get(f"/v1/batches/{batch_id}", headers=bearer(developer))).json()
    assert after_batch == before_batch
    assert after_batch["items_cancelled"] == 0
    assert after_batch["status_code"] == "queued"


async def test_impersonation_key_can_read(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(role=Role.OWNER, impersonation=True)
    account = await client.get(ACCOUNT, headers=bearer(key))
    assert account.status_code == 200, account.text
    assert account.json()["role"] == "owner"
    listed = await client.get("/v1/batches", headers=bearer(key))
    assert listed.status_code == 200, listed.text


async def test_impersonation_key_cannot_write(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts
) -> None:
    key = await make_key(role=Role.OWNER, impersonation=True)
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(key))
    assert_error(response, 403, "IMPERSONATION_READ_ONLY")
    assert await row_counts() == before


async def test_impersonation_key_cannot_cancel_batch(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts
) -> None:
    owner = await make_key(email="owner@acme.test", role=Role.OWNER)
    impersonating = await make_key(email="owner@acme.test", role=Role.OWNER, impersonation=True)
    batch_id = await create_batch(client, bearer(owner))
    before = await row_counts()
    response = await client.post(f"/v1/batches/{batch_id}/cancel", headers=bearer(impersonating))
    assert_error(response, 403, "IMPERSONATION_READ_ONLY")
    assert await row_counts() == before
    batch = (await client.get(f"/v1/batches/{batch_id}", headers=bearer(owner))).json()
    assert batch["status_code"] == "queued"


async def test_unverified_email_can_read(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(email="new@acme.test", role=Role.OWNER, verified=False)
    account = await client.get(ACCOUNT, headers=bearer(key))
    assert account.status_code == 200, account.text
    assert account.json()["user"]["email"] == "new@acme.test"
    listed = await client.get("/v1/batches", headers=bearer(key))
    assert listed.status_code == 200, listed.text


async def test_unverified_email_cannot_write(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts
) -> None:
    key = await make_key(email="new@acme.test", role=Role.OWNER, verified=False)
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(key))
    assert_error(response, 403, "EMAIL_NOT_VERIFIED")
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("role", "verified", "impersonation", "code"),
    [
        (Role.VIEWER, False, True, "IMPERSONATION_READ_ONLY"),
        (Role.VIEWER, False, False, "EMAIL_NOT_VERIFIED"),
        (Role.OWNER, False, True, "IMPERSONATION_READ_ONLY"),
    ],
    ids=["impersonation-first", "unverified-before-viewer", "impersonation-before-unverified"],
)
async def test_write_checks_report_impersonation_then_unverified_email_then_viewer(
    client: httpx.AsyncClient,
    make_key: MakeKey,
    row_counts: RowCounts,
    role: Role,
    verified: bool,
    impersonation: bool,
    code: str,
) -> None:
    key = await make_key(role=role, verified=verified, impersonation=impersonation)
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(key))
    assert_error(response, 403, code)
    assert await row_counts() == before


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.DEVELOPER])
async def test_owner_admin_and_developer_can_create_batches(
    client: httpx.AsyncClient, make_key: MakeKey, row_counts: RowCounts, role: Role
) -> None:
    key = await make_key(role=role)
    before = await row_counts()
    response = await client.post(CREATE_BATCH, json=BATCH_BODY, headers=bearer(key))
    assert response.status_code == 201, response.text
    after = await row_counts()
    assert after["batches"] == before["batches"] + 1
    assert after["runs"] == before["runs"] + 1


# --- tenancy -------------------------------------------------------------------------------


async def two_orgs(client: httpx.AsyncClient, make_key: MakeKey) -> tuple[str, str, str]:
    """A batch of org A, a key of org A and an owner key of org B (another user)."""
    key_a = await make_key(org="org-a", email="dev@a.test", role=Role.DEVELOPER)
    key_b = await make_key(org="org-b", email="owner@b.test", role=Role.OWNER)
    batch_id = await create_batch(client, bearer(key_a))
    return batch_id, key_a, key_b


def assert_not_found_without_data(
    response: httpx.Response, batch_id: str, org_a: uuid.UUID
) -> None:
    body = assert_error(response, 404, "NOT_FOUND")
    assert body["errors"] is None
    assert str(org_a) not in response.text
    assert "hello" not in response.text  # the batch's input
    # Indistinguishable from a batch that does not exist at all.
    assert "does not exist" in body["message"]


@pytest.mark.parametrize("suffix", ["", "/items", "/callback"], ids=["detail", "items", "callback"])
async def test_other_orgs_batch_is_not_found_on_reads(
    client: httpx.AsyncClient, make_key: MakeKey, database: Database, suffix: str
) -> None:
    batch_id, _, key_b = await two_orgs(client, make_key)
    org_a = await org_id_of(database, "org-a")
    response = await client.get(f"/v1/batches/{batch_id}{suffix}", headers=bearer(key_b))
    assert_not_found_without_data(response, batch_id, org_a)

    missing = str(uuid.uuid4())
    unknown = await client.get(f"/v1/batches/{missing}{suffix}", headers=bearer(key_b))
    assert unknown.status_code == 404
    assert unknown.json() == {
        key: value.replace(batch_id, missing) if isinstance(value, str) else value
        for key, value in response.json().items()
    }


async def test_other_orgs_batch_cannot_be_cancelled_and_is_not_found(
    client: httpx.AsyncClient, make_key: MakeKey, database: Database, row_counts: RowCounts
) -> None:
    batch_id, key_a, key_b = await two_orgs(client, make_key)
    org_a = await org_id_of(database, "org-a")
    before = await row_counts()
    response = await client.post(f"/v1/batches/{batch_id}/cancel", headers=bearer(key_b))
    assert_not_found_without_data(response, batch_id, org_a)
    assert await row_counts() == before
    batch = (await client.get(f"/v1/batches/{batch_id}", headers=bearer(key_a))).json()
    assert batch["status_code"] == "queued"
    assert batch["items_cancelled"] == 0


async def test_other_orgs_batch_is_not_listed(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    batch_id, key_a, key_b = await two_orgs(client, make_key)
    own_id = await create_batch(client, bearer(key_b))
    listed_b = await client.get("/v1/batches", headers=bearer(key_b))
    assert listed_b.status_code == 200, listed_b.text
    assert [item["id"] for item in listed_b.json()["items"]] == [own_id]
    listed_a = await client.get("/v1/batches", headers=bearer(key_a))
    assert [item["id"] for item in listed_a.json()["items"]] == [batch_id]


# --- GET /v1/account -----------------------------------------------------------------------


async def test_account_shows_user_org_role_and_credit_balance(
    client: httpx.AsyncClient, make_key: MakeKey, database: Database
) -> None:
    key = await make_key(org="acme", email="admin@acme.test", role=Role.ADMIN)
    async with database.transaction() as session:
        await session.execute(
            update(Org)
            .where(Org.slug == "acme")
            .values(name="Acme Corporation", credit_balance=Decimal("12.5"))
        )
        user = await session.scalar(select(User).where(User.email == "admin@acme.test"))
        org = await session.scalar(select(Org).where(Org.slug == "acme"))
    assert user is not None
    assert org is not None

    response = await client.get(ACCOUNT, headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user": {"id": str(user.id), "email": "admin@acme.test"},
        "org": {"id": str(org.id), "slug": "acme", "name": "Acme Corporation"},
        "role": "admin",
        "credit_balance": "12.5",
        "credit_reserved": "0",
        "credits_enforced": False,
        "low_balance_threshold": None,
    }


@pytest.mark.parametrize(
    ("balance", "shown"),
    [
        (Decimal(0), "0"),
        (Decimal("0.0125"), "0.0125"),
        (Decimal("100"), "100"),
        (Decimal("0.000000001"), "0.000000001"),
    ],
)
async def test_account_credit_balance_is_a_plain_decimal_string(
    client: httpx.AsyncClient, api_key: str, database: Database, balance: Decimal, shown: str
) -> None:
    async with database.transaction() as session:
        await session.execute(update(Org).where(Org.slug == "acme").values(credit_balance=balance))
    response = await client.get(ACCOUNT, headers=bearer(api_key))
    assert response.status_code == 200, response.text
    credit = response.json()["credit_balance"]
    assert isinstance(credit, str)
    assert credit == shown


# --- key storage ---------------------------------------------------------------------------


async def test_keys_are_prefixed_random_and_stored_only_hashed(
    make_key: MakeKey, database: Database
) -> None:
    token = await make_key()
    other = await make_key(email="second@acme.test")
    assert token.startswith("rf_")
    assert other.startswith("rf_")
    assert token != other
    assert len(token) > 12

    async with database.transaction(write=False) as session:
        key = await session.scalar(select(ApiKey).where(ApiKey.lookup_prefix == token[:12]))
        rows = (await session.execute(text("SELECT * FROM api_keys"))).mappings().all()
    assert key is not None
    assert key.secret_hash != token
    assert key.lookup_prefix == token[:12]
    assert len(rows) == 2
    secret_part = token[12:]
    for row in rows:
        for column, value in row.items():
            if isinstance(value, str):
                assert token not in value, column
                assert secret_part not in value, column

"""Signing in and out: the key stays on the server, the cookie is signed and strict, and a
forged, expired or revoked session sends the browser back to sign in."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select, update

from runflow.auth.models import ApiKey
from runflow.dashboard.models import DashboardSession
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from tests.conftest import MakeKey
from tests.dashboard.helpers import csrf_of, page_token, sign_in


async def test_a_signed_out_browser_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/dashboard", "/dashboard/batches", "/dashboard/models", "/dashboard/credits"):
        response = await client.get(path, follow_redirects=True)
        assert response.url.path == "/dashboard/sign-in", path
        assert 'name="api_key"' in response.text


async def test_sign_in_keeps_the_key_on_the_server(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    response = await sign_in(client, api_key)

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/batches"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/dashboard" in cookie
    assert api_key not in response.headers["set-cookie"]
    async with database.transaction() as session:
        stored = (await session.scalars(select(DashboardSession))).all()
    assert len(stored) == 1
    assert api_key.encode() not in stored[0].sealed_api_key  # sealed, not stored as it is
    page = await client.get("/dashboard/batches")
    assert page.status_code == 200
    assert "Sign out" in page.text


@pytest.mark.parametrize(
    ("key", "message"),
    [("rf_not_a_real_key_0000000000", "The API key is not valid."), ("", "Enter an API key.")],
)
async def test_a_bad_key_is_refused_with_a_message(
    client: httpx.AsyncClient, key: str, message: str
) -> None:
    response = await sign_in(client, key)
    assert response.status_code in (401, 422)
    assert message in response.text
    assert "rf_dashboard=" not in response.headers.get("set-cookie", "")


async def test_a_revoked_key_cannot_sign_in_and_ends_its_sessions(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    assert (await sign_in(client, api_key)).status_code == 303
    async with database.transaction() as session:
        await session.execute(update(ApiKey).values(revoked_at=utcnow()))

    page = await client.get("/dashboard/batches")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/sign-in?reason=revoked"
    again = await sign_in(client, api_key)
    assert again.status_code == 401
    assert "revoked" in again.text


async def test_an_expired_session_is_sent_to_sign_in(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    await sign_in(client, api_key)
    async with database.transaction() as session:
        await session.execute(update(DashboardSession).values(expires_at=utcnow()))

    page = await client.get("/dashboard/batches", follow_redirects=True)
    assert page.url.path == "/dashboard/sign-in"
    assert "Your session has ended or expired" in page.text


async def test_a_forged_cookie_is_no_session(client: httpx.AsyncClient, api_key: str) -> None:
    await sign_in(client, api_key)
    real = client.cookies.get("rf_dashboard", path="/dashboard")
    assert real
    client.cookies.set("rf_dashboard", real[:-2] + "xx", path="/dashboard")
    page = await client.get("/dashboard/batches")
    assert page.status_code == 303


async def test_sign_in_without_its_form_token_is_refused(
    client: httpx.AsyncClient, api_key: str
) -> None:
    response = await client.post("/dashboard/sign-in", data={"api_key": api_key})
    assert response.status_code == 403
    assert "Sign in" in response.text
    assert "rf_dashboard=" not in response.headers.get("set-cookie", "")


async def test_sign_out_ends_the_session(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client)
    response = await client.post("/dashboard/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    async with database.transaction() as session:
        assert (await session.scalars(select(DashboardSession))).all() == []
    assert (await client.get("/dashboard/batches")).status_code == 303


async def test_sign_out_needs_the_session_token(client: httpx.AsyncClient, api_key: str) -> None:
    await sign_in(client, api_key)
    response = await client.post("/dashboard/sign-out", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert (await client.get("/dashboard/batches")).status_code == 200


async def test_the_org_switcher_changes_the_organization(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    first = await make_key(org="north", email="both@x.test")  # one user in two organizations
    await make_key(org="south", email="both@x.test")
    await sign_in(client, first)
    page = await client.get("/dashboard/batches")
    assert 'id="org-switch"' in page.text
    south = [line for line in page.text.splitlines() if ">south<" in line]
    assert south, page.text
    org_id = south[0].split('value="')[1].split('"')[0]
    switched = await client.post(
        "/dashboard/org", data={"org_id": org_id, "csrf_token": csrf_of(page.text)}
    )
    assert switched.status_code == 303
    after = await client.get("/dashboard/credits")
    assert f'value="{org_id}" selected' in after.text


async def test_switching_to_an_org_one_is_not_in_is_refused(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    mine = await make_key(org="mine", email="me@x.test")
    await make_key(org="theirs", email="them@x.test")
    await sign_in(client, mine)
    token = await page_token(client)
    response = await client.post(
        "/dashboard/org", data={"org_id": str(uuid.uuid4()), "csrf_token": token}
    )
    assert response.status_code == 403
    assert "member" in response.text

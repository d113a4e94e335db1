"""Signing a test client in to the dashboard, and reading the forms of its pages."""

from __future__ import annotations

import re

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, api_key: str) -> httpx.Response:
    form = await client.get("/dashboard/sign-in")
    return await client.post(
        "/dashboard/sign-in", data={"api_key": api_key, "csrf_token": csrf_of(form.text)}
    )


async def page_token(client: httpx.AsyncClient, path: str = "/dashboard/batches") -> str:
    """The session's CSRF token, read from a page as a browser would."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)

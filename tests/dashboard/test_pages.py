"""Dashboard pages in process: every section renders, actions need the session's CSRF token,
tenancy and roles are the API's, and bad input is a message on the page that writes nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import MakeKey, RowCounts
from tests.dashboard.helpers import csrf_of, page_token, sign_in
from tests.media.helpers import png

SECTIONS = ("batches", "models", "media", "evaluations", "webhooks", "credits")


async def _echo_batch(client: httpx.AsyncClient, key: str, **item: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/models/runflow/echo/batches",
        headers={"Authorization": f"Bearer {key}"},
        json={"input": [{"message": "hi", **item}]},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.parametrize("section", SECTIONS)
async def test_every_section_renders_with_a_strict_policy(
    client: httpx.AsyncClient, api_key: str, section: str
) -> None:
    await sign_in(client, api_key)
    page = await client.get(f"/dashboard/{section}")
    assert page.status_code == 200, page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["cache-control"] == "no-store"
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None  # no inline script
    assert " style=" not in page.text
    assert "<style" not in page.text
    assert re.search(r"<[^>]*\son[a-z]+\s*=", page.text) is None  # no inline handler


async def test_static_files_are_served_from_the_package(client: httpx.AsyncClient) -> None:
    for name in ("htmx.min.js", "sse.min.js", "app.js", "style.css", "LICENSE-htmx.txt"):
        response = await client.get(f"/dashboard/static/{name}")
        assert response.status_code == 200, name
        assert response.content


async def test_a_list_filter_in_the_q_language_and_its_errors(
    client: httpx.AsyncClient, api_key: str
) -> None:
    await _echo_batch(client, api_key, fail=True)
    await sign_in(client, api_key)
    bad = await client.get("/dashboard/batches", params={"q": "status_code =="})
    assert bad.status_code == 200
    assert 'id="q-error"' in bad.text  # the parser's message, next to the filter
    good = await client.get("/dashboard/batches", params={"q": "items_total = 1"})
    assert "/dashboard/batches/" in good.text
    sorted_page = await client.get("/dashboard/batches", params={"sort_by": "cost:desc"})
    assert '<option value="cost:desc" selected>' in sorted_page.text
    unsortable = await client.get("/dashboard/batches", params={"sort_by": "metadata:asc"})
    assert 'id="q-error"' in unsortable.text


async def test_actions_need_the_session_csrf_token(client: httpx.AsyncClient, api_key: str) -> None:
    batch = await _echo_batch(client, api_key, delay_ms=60_000)
    await sign_in(client, api_key)
    forged = await client.post(
        f"/dashboard/batches/{batch['id']}/cancel", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert "not sent from this session" in forged.text
    missing = await client.post(f"/dashboard/batches/{batch['id']}/cancel")
    assert missing.status_code == 403
    read = await client.get(
        f"/v1/batches/{batch['id']}", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert read.json()["status_code"] in ("queued", "running")  # nothing was cancelled

    token = await page_token(client, f"/dashboard/batches/{batch['id']}")
    cancelled = await client.post(
        f"/dashboard/batches/{batch['id']}/cancel", data={"csrf_token": token}
    )
    assert cancelled.status_code == 303


async def test_another_orgs_batch_is_not_found(
    client: httpx.AsyncClient, api_key: str, make_key: MakeKey
) -> None:
    other = await make_key(org="other-org", email="other@x.test")
    theirs = await _echo_batch(client, other)
    await sign_in(client, api_key)
    page = await client.get(f"/dashboard/batches/{theirs['id']}")
    assert page.status_code == 404
    assert "does not exist" in page.text
    assert (await client.get(f"/dashboard/runs/{uuid.uuid4()}")).status_code == 404


async def test_a_viewer_sees_no_write_button_and_is_refused_writes(
    client: httpx.AsyncClient, api_key: str, make_key: MakeKey
) -> None:
    batch = await _echo_batch(client, api_key, delay_ms=60_000)
    viewer = await make_key(role="viewer", email="viewer@acme.test")
    await sign_in(client, viewer)
    page = await client.get(f"/dashboard/batches/{batch['id']}")
    assert page.status_code == 200
    assert "Cancel batch" not in page.text
    model = await client.get("/dashboard/models/runflow/echo")
    assert "Run once" not in model.text
    assert "Create batch" not in model.text
    refused = await client.post(
        f"/dashboard/batches/{batch['id']}/cancel", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    assert "Viewers may only read" in refused.text


async def test_invalid_form_values_are_shown_next_to_their_fields(
    client: httpx.AsyncClient, api_key: str, row_counts: RowCounts
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/models/runflow/txt2img")
    before = await row_counts()

    wrong_type = await client.post(
        "/dashboard/models/runflow/txt2img/run",
        data={"csrf_token": token, "prompt": "a fox", "width": "wide", "mode": "once"},
    )
    off_range = await client.post(
        "/dashboard/models/runflow/txt2img/run",
        data={
            "csrf_token": token,
            "prompt": "a fox",
            "width": "13",
            "mode": "batch",
            "copies": "2",
        },
    )
    too_many = await client.post(
        "/dashboard/models/runflow/txt2img/run",
        data={"csrf_token": token, "prompt": "a fox", "mode": "batch", "copies": "101"},
    )

    assert wrong_type.status_code == 422
    assert 'id="in-width-error"' in wrong_type.text
    assert "whole number" in wrong_type.text
    assert off_range.status_code == 422
    assert 'id="in-width-error"' in off_range.text
    assert 'value="13"' in off_range.text  # what was typed stays in the form
    assert too_many.status_code == 422
    assert "from 1 to 100" in too_many.text
    assert await row_counts() == before


async def test_the_form_runs_a_model_once_and_as_a_batch(
    client: httpx.AsyncClient, api_key: str
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/models/runflow/echo")
    once = await client.post(
        "/dashboard/models/runflow/echo/run",
        data={"csrf_token": token, "message": "hello", "mode": "once"},
    )
    assert once.status_code == 303
    assert once.headers["location"].startswith("/dashboard/runs/")
    batch = await client.post(
        "/dashboard/models/runflow/echo/run",
        data={"csrf_token": token, "message": "hello", "mode": "batch", "copies": "3"},
    )
    assert batch.status_code == 303
    page = await client.get(batch.headers["location"])
    assert "0 / 3" in page.text or "/ 3" in page.text
    run_page = await client.get(once.headers["location"])
    assert run_page.status_code == 200
    assert "hello" in run_page.text


async def test_a_jsonl_batch_and_a_bad_line(
    client: httpx.AsyncClient, api_key: str, row_counts: RowCounts
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/models/runflow/echo")
    before = await row_counts()
    bad = await client.post(
        "/dashboard/models/runflow/echo/batch",
        data={"csrf_token": token, "jsonl": '{"message": "a"}\n\n{"message": b}\n'},
    )
    invalid = await client.post(
        "/dashboard/models/runflow/echo/batch",
        data={"csrf_token": token, "jsonl": '{"message": "a"}\n{"mesage": "b"}\n'},
    )
    assert bad.status_code == 422
    assert "Line 3 is not JSON" in bad.text
    assert invalid.status_code == 422
    assert "line 2: mesage" in invalid.text
    assert await row_counts() == before
    good = await client.post(
        "/dashboard/models/runflow/echo/batch",
        data={"csrf_token": token},
        files={"jsonl_file": ("items.jsonl", b'{"message": "a"}\n{"message": "b"}\n')},
    )
    assert good.status_code == 303
    assert good.headers["location"].startswith("/dashboard/batches/")


async def test_uploads_and_a_file_that_is_not_an_image(
    client: httpx.AsyncClient, api_key: str
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/media")
    refused = await client.post(
        "/dashboard/media",
        data={"csrf_token": token, "folder": "docs"},
        files={"files": ("notes.txt", b"just some text", "text/plain")},
    )
    assert refused.status_code == 422
    assert "notes.txt:" in refused.text
    assert "<img" not in refused.text.split('class="grid"')[1]
    uploaded = await client.post(
        "/dashboard/media",
        data={"csrf_token": token, "folder": "shots"},
        files={"files": ("a.png", png(), "image/png")},
    )
    assert uploaded.status_code == 303
    grid = await client.get("/dashboard/media", params={"folder": "shots"})
    assert grid.text.count('class="thumb"') == 1


async def test_a_failing_page_shows_no_stack_trace(
    client: httpx.AsyncClient, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runflow.dashboard import catalog

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    await sign_in(client, api_key)
    monkeypatch.setattr(catalog, "fields_of", broken)
    page = await client.get("/dashboard/models/runflow/echo")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "secret internals" not in page.text
    assert "Traceback" not in page.text

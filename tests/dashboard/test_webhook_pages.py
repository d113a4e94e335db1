"""Webhook endpoints managed from the dashboard, in process: add one from the form, edit it,
disable and enable it, reveal and rotate its secret, send a test event, recover, delete — and
bad input shown next to its field with nothing written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from runflow.db.engine import Database
from runflow.webhooks.models import WebhookEndpoint
from tests.conftest import MakeKey
from tests.dashboard.helpers import csrf_of, page_token, sign_in

URL = "http://127.0.0.1:9/hook"  # loopback is allowed in tests; nothing answers there
ENDPOINT_PAGE = re.compile(r"/dashboard/webhooks/endpoints/([0-9a-f-]{36})\?done=created$")


async def _endpoints(database: Database) -> int:
    async with database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


async def _add(client: httpx.AsyncClient, token: str, **fields: Any) -> httpx.Response:
    data = {"csrf_token": token, "url": URL, "event_types": ["*"], **fields}
    return await client.post("/dashboard/webhooks/endpoints", data=data)


async def _added(client: httpx.AsyncClient, api_key: str, **fields: Any) -> tuple[str, str]:
    """A new endpoint added through the form: its id and the page's CSRF token."""
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/webhooks")
    added = await _add(client, token, **fields)
    assert added.status_code == 303, added.text
    found = ENDPOINT_PAGE.search(added.headers["location"])
    assert found is not None, added.headers["location"]
    return found.group(1), token


async def test_add_an_endpoint_from_the_form(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    endpoint_id, _ = await _added(
        client,
        api_key,
        event_types=["run.failed", "batch.succeeded"],
        description="Ops alerts",
    )

    page = await client.get(f"/dashboard/webhooks/endpoints/{endpoint_id}?done=created")
    assert page.status_code == 200
    assert "Endpoint created" in page.text
    assert "whsec_" not in page.text  # shown only when asked for
    stored = (await client.get(f"/v1/webhooks/endpoints/{endpoint_id}", headers=auth)).json()
    assert stored["url"] == URL
    assert stored["description"] == "Ops alerts"
    assert sorted(stored["event_types"]) == ["batch.succeeded", "run.failed"]
    listing = await client.get("/dashboard/webhooks")
    assert f"/dashboard/webhooks/endpoints/{endpoint_id}" in listing.text


async def test_all_events_wins_over_single_types(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    endpoint_id, _ = await _added(client, api_key, event_types=["*", "run.failed"])
    stored = (await client.get(f"/v1/webhooks/endpoints/{endpoint_id}", headers=auth)).json()
    assert stored["event_types"] == ["*"]


async def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(
    client: httpx.AsyncClient, api_key: str, database: Database
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/webhooks")

    no_types = await client.post(
        "/dashboard/webhooks/endpoints", data={"csrf_token": token, "url": URL}
    )
    not_http = await _add(client, token, url="ftp://127.0.0.1/hook")
    blocked = await _add(client, token, url="http://169.254.169.254/latest")
    unknown_type = await _add(client, token, event_types=["run.exploded"])
    forged = await _add(client, "forged")

    assert no_types.status_code == 422
    assert 'id="event-types-error"' in no_types.text
    assert 'value="http://127.0.0.1:9/hook"' in no_types.text  # what was typed stays
    assert not_http.status_code == 422
    assert 'id="endpoint-url-error"' in not_http.text
    assert blocked.status_code == 422
    assert 'id="endpoint-url-error"' in blocked.text
    assert unknown_type.status_code == 422
    assert "run.exploded" in unknown_type.text
    assert forged.status_code == 403
    assert await _endpoints(database) == 0


async def test_edit_disable_enable_and_delete(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    endpoint_id, token = await _added(client, api_key)
    base = f"/dashboard/webhooks/endpoints/{endpoint_id}"
    api = f"/v1/webhooks/endpoints/{endpoint_id}"

    edited = await client.post(
        base,
        data={
            "csrf_token": token,
            "url": "http://127.0.0.1:9/other",
            "description": "",
            "event_types": ["run.succeeded"],
        },
    )
    assert edited.status_code == 303
    assert edited.headers["location"].endswith("?done=updated")
    stored = (await client.get(api, headers=auth)).json()
    assert stored["url"] == "http://127.0.0.1:9/other"
    assert stored["event_types"] == ["run.succeeded"]

    bad_edit = await client.post(
        base, data={"csrf_token": token, "url": "not a url", "event_types": ["*"]}
    )
    assert bad_edit.status_code == 422
    assert 'id="endpoint-url-error"' in bad_edit.text
    assert (await client.get(api, headers=auth)).json()["url"] == "http://127.0.0.1:9/other"

    disabled = await client.post(f"{base}/disable", data={"csrf_token": token})
    assert disabled.status_code == 303
    stored = (await client.get(api, headers=auth)).json()
    assert (stored["enabled"], stored["disabled_reason"]) == (False, "MANUAL")
    page = await client.get(disabled.headers["location"])
    assert "Disabled: it gets no new events" in page.text
    assert ">Enable</button>" in page.text

    await client.post(f"{base}/enable", data={"csrf_token": token})
    assert (await client.get(api, headers=auth)).json()["enabled"] is True

    deleted = await client.post(f"{base}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/dashboard/webhooks?done=deleted"
    assert (await client.get(api, headers=auth)).status_code == 404
    gone = await client.get(base)
    assert gone.status_code == 404


async def test_reveal_and_rotate_the_secret(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    endpoint_id, token = await _added(client, api_key)
    base = f"/dashboard/webhooks/endpoints/{endpoint_id}"
    first = (await client.get(f"/v1/webhooks/endpoints/{endpoint_id}/secret", headers=auth)).json()

    revealed = await client.post(f"{base}/secret", data={"csrf_token": token})
    assert revealed.status_code == 200
    assert f'id="current-secret">{first["secret"]}<' in revealed.text

    rotated = await client.post(f"{base}/secret/rotate", data={"csrf_token": token})
    assert rotated.status_code == 303
    assert rotated.headers["location"].endswith("?done=rotated")
    after = (await client.get(f"/v1/webhooks/endpoints/{endpoint_id}/secret", headers=auth)).json()
    assert after["secret"] != first["secret"]
    both = await client.post(f"{base}/secret", data={"csrf_token": token})
    assert f'id="current-secret">{after["secret"]}<' in both.text
    assert first["secret"] in both.text  # still signing beside the new one

    forged = await client.post(f"{base}/secret", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert first["secret"] not in forged.text


async def test_send_a_test_event_and_recover(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    endpoint_id, token = await _added(client, api_key)
    base = f"/dashboard/webhooks/endpoints/{endpoint_id}"

    tested = await client.post(f"{base}/test", data={"csrf_token": token})
    assert tested.status_code == 303
    delivery_page = await client.get(tested.headers["location"])
    assert delivery_page.status_code == 200
    assert "webhook.test" in delivery_page.text
    listed = await client.get(base)
    assert "webhook.test" in listed.text  # the endpoint's own deliveries

    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    recovered = await client.post(
        f"{base}/recover", data={"csrf_token": token, "since": an_hour_ago}
    )
    assert recovered.status_code == 303
    assert re.search(r"\?done=recovered&count=\d+$", recovered.headers["location"])
    shown = await client.get(recovered.headers["location"])
    assert re.search(r"\d+ failed deliver(y|ies) sent again", shown.text)

    no_date = await client.post(f"{base}/recover", data={"csrf_token": token, "since": "soon"})
    assert no_date.status_code == 422
    assert "Give the date and time" in no_date.text
    too_old = await client.post(
        f"{base}/recover", data={"csrf_token": token, "since": "2020-01-01T00:00"}
    )
    assert too_old.status_code == 422
    assert "within the last 30 days" in too_old.text


async def test_a_viewer_sees_the_endpoints_but_no_form_or_button(
    client: httpx.AsyncClient, api_key: str, make_key: MakeKey
) -> None:
    endpoint_id, _ = await _added(client, api_key)
    viewer = await make_key(role="viewer", email="viewer@acme.test")
    await sign_in(client, viewer)
    listing = await client.get("/dashboard/webhooks")
    assert listing.status_code == 200
    assert "Add an endpoint" not in listing.text
    page = await client.get(f"/dashboard/webhooks/endpoints/{endpoint_id}")
    assert page.status_code == 200
    assert URL in page.text
    for button in ("Send test event", "Disable", "Reveal secret", "Rotate secret", "Delete"):
        assert f">{button}" not in page.text
    refused = await client.post(
        f"/dashboard/webhooks/endpoints/{endpoint_id}/secret",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 403
    assert "whsec_" not in refused.text

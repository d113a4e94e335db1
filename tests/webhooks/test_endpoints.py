"""`/v1/webhooks/endpoints`: create (secret once), list, read, change, delete, the secret and
its rotation, the event catalogue — and every bad input refused with nothing changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from runflow.auth.roles import Role
from runflow.batches.schemas import BatchRead
from runflow.db.engine import Database
from runflow.evaluations.schemas import EvaluationRead
from runflow.media.schemas import MediaRead
from runflow.runs.schemas import RunRead
from runflow.webhooks.catalogue import EventType
from runflow.webhooks.endpoints import MAX_ENDPOINTS_PER_ORG
from runflow.webhooks.models import WebhookEndpoint
from runflow.webhooks.schemas import WebhookEndpointRead
from tests.conftest import MakeKey
from tests.webhooks.helpers import create_endpoint

URL = "http://127.0.0.1:9/hook"  # loopback is allowed in tests; nothing is sent here


async def _count(database: Database) -> int:
    async with database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


async def test_create_shows_the_secret_once_and_reads_back_without_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_endpoint(
        client,
        auth,
        URL,
        ["batch.succeeded", "run.failed"],
        description="orders",
        metadata={"team": "growth"},
    )
    assert created["secret"].startswith("whsec_")
    assert created["enabled"] is True
    assert created["disabled_reason"] is None
    read = (await client.get(f"/v1/webhooks/endpoints/{created['id']}", headers=auth)).json()
    assert "secret" not in read
    assert read == {key: value for key, value in created.items() if key != "secret"}
    secret = (await client.get(created["links"]["secret"], headers=auth)).json()
    assert secret["secret"] == created["secret"]
    assert secret["retiring"] == []


async def test_list_uses_the_query_kit(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    first = await create_endpoint(client, auth, URL, ["*"])
    second = await create_endpoint(client, auth, URL, ["run.failed"], enabled=False)
    page = (await client.get("/v1/webhooks/endpoints", headers=auth)).json()
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]
    disabled = await client.get(
        "/v1/webhooks/endpoints", params={"q": "enabled = false", "fields": "id"}, headers=auth
    )
    assert disabled.json()["items"] == [{"id": second["id"]}]
    one = (await client.get("/v1/webhooks/endpoints", params={"limit": 1}, headers=auth)).json()
    rest = await client.get("/v1/webhooks/endpoints", params={"pq": one["next"]}, headers=auth)
    assert [item["id"] for item in rest.json()["items"]] == [first["id"]]


async def test_update_changes_only_what_is_given(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_endpoint(client, auth, URL, ["*"], description="keep me")
    path = f"/v1/webhooks/endpoints/{created['id']}"
    response = await client.patch(
        path, json={"event_types": ["batch.failed"], "enabled": False}, headers=auth
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["event_types"] == ["batch.failed"]
    assert changed["enabled"] is False
    assert changed["disabled_reason"] == "MANUAL"
    assert changed["description"] == "keep me"
    again = await client.patch(path, json={"enabled": True, "description": None}, headers=auth)
    assert again.json()["enabled"] is True
    assert again.json()["disabled_reason"] is None
    assert again.json()["description"] is None


async def test_delete_hides_the_endpoint(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await create_endpoint(client, auth, URL)
    path = f"/v1/webhooks/endpoints/{created['id']}"
    assert (await client.delete(path, headers=auth)).status_code == 204
    for method in ("GET", "DELETE"):
        assert (await client.request(method, path, headers=auth)).status_code == 404
    assert (await client.patch(path, json={"enabled": True}, headers=auth)).status_code == 404
    assert (await client.get(f"{path}/secret", headers=auth)).status_code == 404
    assert (await client.get("/v1/webhooks/endpoints", headers=auth)).json()["items"] == []


async def test_rotation_keeps_the_old_secret_signing_beside_the_new(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_endpoint(client, auth, URL)
    response = await client.post(f"{created['links']['secret']}/rotate", headers=auth)
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"] != created["secret"]
    assert [secret["secret"] for secret in rotated["retiring"]] == [created["secret"]]
    read = (await client.get(created["links"]["secret"], headers=auth)).json()
    assert read == rotated
    # The org's callback secret is another one, untouched.
    org = (await client.get("/v1/webhooks/signing-secret", headers=auth)).json()
    assert org["secret"] not in (created["secret"], rotated["secret"])


async def test_the_catalogue_lists_every_type_with_an_example(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/webhooks/event-types", headers=auth)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["type"] for item in items] == [event_type.value for event_type in EventType]
    for item in items:
        assert item["description"]
        assert set(item["example"]) == {"type", "timestamp", "data"}
        assert item["example"]["type"] == item["type"]
        # Each example is the resource as its GET shows it, and consistent with itself.
        data = item["example"]["data"]
        shown_as = _EXAMPLE_SHAPES.get(item["type"]) or _EXAMPLE_SHAPES.get(
            item["type"].split(".")[0]
        )
        if shown_as is not None:
            shown_as.model_validate(data)
        if item["type"].startswith("batch."):
            statuses = [entry["status_code"] for entry in data["items"]]
            assert data["items_total"] == len(statuses) == len(data["input"])
            assert data["items_succeeded"] == statuses.count("succeeded")
            assert data["items_failed"] == statuses.count("failed")
            assert data["items_cancelled"] == statuses.count("cancelled")
            if data["output"] is not None:
                assert [entry["status_code"] for entry in data["output"]["items"]] == statuses


_EXAMPLE_SHAPES: dict[str, type[BaseModel]] = {
    "batch": BatchRead,
    "run": RunRead,
    "evaluation": EvaluationRead,
    "media": MediaRead,
    "webhook.endpoint_disabled": WebhookEndpointRead,
}


async def test_an_org_has_at_most_twenty_endpoints(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    made = [await create_endpoint(client, auth, URL) for _ in range(MAX_ENDPOINTS_PER_ORG)]
    response = await client.post(
        "/v1/webhooks/endpoints", json={"url": URL, "event_types": ["*"]}, headers=auth
    )
    assert response.status_code == 409
    assert response.json()["code"] == "ENDPOINT_LIMIT_REACHED"
    assert await _count(database) == MAX_ENDPOINTS_PER_ORG
    # A deleted one frees its place.
    await client.delete(f"/v1/webhooks/endpoints/{made[0]['id']}", headers=auth)
    await create_endpoint(client, auth, URL)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"url": URL, "event_types": ["batch.exploded"]}, ["body", "event_types"]),
        ({"url": URL, "event_types": []}, ["body", "event_types"]),
        ({"url": URL, "event_types": ["run.failed", "run.failed"]}, ["body", "event_types"]),
        ({"url": URL, "event_types": "run.failed"}, ["body", "event_types"]),
        ({"url": URL}, ["body", "event_types"]),
        ({"event_types": ["*"]}, ["body", "url"]),
        ({"url": "ftp://example.com/hook", "event_types": ["*"]}, ["body", "url"]),
        ({"url": "hooks.example.com", "event_types": ["*"]}, ["body", "url"]),
        ({"url": "http://10.1.2.3/hook", "event_types": ["*"]}, ["body", "url"]),
        ({"url": "http://169.254.169.254/latest", "event_types": ["*"]}, ["body", "url"]),
        ({"url": URL, "event_types": ["*"], "description": "x" * 501}, ["body", "description"]),
        ({"url": URL, "event_types": ["*"], "metadata": {"k": "v" * 20_000}}, ["body", "metadata"]),
        ({"url": URL, "event_types": ["*"], "secret": "whsec_mine"}, ["body", "secret"]),
        ({"url": URL, "event_types": ["*"], "enabled": "yes please"}, ["body", "enabled"]),
    ],
)
async def test_bad_endpoints_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    body: dict[str, Any],
    where: list[str],
) -> None:
    response = await client.post("/v1/webhooks/endpoints", json=body, headers=auth)
    assert response.status_code == 422, response.text
    envelope = response.json()
    assert envelope["code"] == "VALIDATION_ERROR"
    assert envelope["message"]
    assert any(error["loc"][: len(where)] == where for error in envelope["errors"]), envelope
    assert await _count(database) == 0


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"url": None}, ["body", "url"]),
        ({"event_types": None}, ["body", "event_types"]),
        ({"enabled": None}, ["body", "enabled"]),
        ({"event_types": ["nope"]}, ["body", "event_types"]),
        ({"url": "http://192.168.1.1/"}, ["body", "url"]),
        ({"disabled_reason": "FAILING"}, ["body", "disabled_reason"]),
    ],
)
async def test_bad_updates_are_refused_and_change_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], where: list[str]
) -> None:
    created = await create_endpoint(client, auth, URL, ["run.failed"])
    path = f"/v1/webhooks/endpoints/{created['id']}"
    response = await client.patch(path, json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert any(error["loc"][: len(where)] == where for error in response.json()["errors"])
    after = (await client.get(path, headers=auth)).json()
    assert after == {key: value for key, value in created.items() if key != "secret"}


async def test_tenancy_and_roles(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    created = await create_endpoint(client, auth, URL)
    path = f"/v1/webhooks/endpoints/{created['id']}"
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='a@globex.test')}"}
    for method, suffix in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("GET", "/secret"),
        ("POST", "/secret/rotate"),
        ("POST", "/test"),
    ):
        kwargs: dict[str, Any] = {"json": {"enabled": False}} if method == "PATCH" else {}
        response = await client.request(method, path + suffix, headers=other, **kwargs)
        assert response.status_code == 404, (method, suffix, response.text)
    viewer = {"Authorization": f"Bearer {await make_key(email='v@acme.test', role=Role.VIEWER)}"}
    assert (await client.get(path, headers=viewer)).status_code == 200
    assert (await client.get(f"{path}/secret", headers=viewer)).status_code == 403
    refused = await client.post(
        "/v1/webhooks/endpoints", json={"url": URL, "event_types": ["*"]}, headers=viewer
    )
    assert refused.status_code == 403
    assert (await client.delete(path, headers=viewer)).status_code == 403

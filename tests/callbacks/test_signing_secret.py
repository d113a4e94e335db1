"""`/v1/webhooks/signing-secret`: one secret per org, rotation with a 24 h overlap in which
callbacks carry a signature from each secret."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from runflow.auth.roles import Role
from tests.callbacks.helpers import batch_with_callback, finished_delivery, signing_secret
from tests.callbacks.receiver import Receiver
from tests.conftest import MakeKey


async def test_the_secret_is_created_once_and_read_back(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await signing_secret(client, auth)
    again = await signing_secret(client, auth)

    assert first == again
    assert first["secret"].startswith("whsec_")
    assert first["retiring"] == []
    Webhook(first["secret"])  # a valid Standard Webhooks secret


async def test_each_org_has_its_own_secret(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    acme = {"Authorization": f"Bearer {await make_key(org='acme')}"}
    globex = {"Authorization": f"Bearer {await make_key(org='globex', email='g@globex.test')}"}
    assert (await signing_secret(client, acme))["secret"] != (await signing_secret(client, globex))[
        "secret"
    ]


async def test_rotation_keeps_the_old_secret_signing_for_24_hours(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    old = await signing_secret(client, auth)
    response = await client.post("/v1/webhooks/signing-secret/rotate", headers=auth)
    assert response.status_code == 200, response.text
    rotated = response.json()

    assert rotated["id"] != old["id"]
    assert rotated["secret"] != old["secret"]
    [retiring] = rotated["retiring"]
    assert (retiring["id"], retiring["secret"]) == (old["id"], old["secret"])
    overlap = datetime.fromisoformat(retiring["expires_at"]) - datetime.fromisoformat(
        rotated["created_at"]
    )
    assert abs(overlap - timedelta(hours=24)) < timedelta(seconds=5)
    assert await signing_secret(client, auth) == rotated


@pytest.mark.engine(worker_concurrency=4)
async def test_during_rotation_callbacks_verify_with_either_secret(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    old = await signing_secret(client, auth)
    new = (await client.post("/v1/webhooks/signing-secret/rotate", headers=auth)).json()
    async with Receiver() as receiver:
        created = await batch_with_callback(client, auth, receiver.url())
        delivery = await finished_delivery(client, auth, created["id"])

    received = receiver.received[0]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (old["secret"], new["secret"]):
        Webhook(secret).verify(received.body, received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(received.body, received.headers)
    assert delivery["signing_secret_id"] == new["id"]


async def test_viewers_may_not_read_or_rotate_the_secret(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    viewer = {"Authorization": f"Bearer {await make_key(role=Role.VIEWER)}"}
    for method, path in (
        ("GET", "/v1/webhooks/signing-secret"),
        ("POST", "/v1/webhooks/signing-secret/rotate"),
    ):
        response = await client.request(method, path, headers=viewer)
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"


async def test_the_secret_needs_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/webhooks/signing-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"

"""Own models are catalog models like the built-ins (DESIGN §13): per-item validation lists
every bad item, a batch of them ends in one signed callback carrying each output, and
`embed=run` shows their runs whole."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.batches.helpers import assert_error
from tests.callbacks.helpers import signing_secret
from tests.callbacks.receiver import Receiver
from tests.engine.polling import eventually, terminal_batch
from tests.media.helpers import png, uploaded


async def test_every_bad_item_of_a_batch_is_listed_and_nothing_is_written(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    photo = await uploaded(client, auth, png(40, 30))
    items: list[dict[str, Any]] = [
        {"strength": 0.5},  # no image
        {"image": photo["id"], "strength": 5},  # out of range
        {"image": photo["id"]},
        {"image": photo["id"], "strength": "dark"},  # not a number
    ]
    response = await client.post(
        "/v1/models/acme/vignette/batches", json={"input": items}, headers=auth
    )

    body = assert_error(response, 422, "VALIDATION_ERROR")
    bad_items = sorted({error["loc"][2] for error in body["errors"]})
    assert bad_items == [0, 1, 3]
    listed = (await client.get("/v1/batches", headers=auth)).json()
    assert listed["items"] == []


@pytest.mark.engine(worker_concurrency=4)
async def test_a_batch_of_an_own_model_ends_in_one_signed_callback_with_every_output(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    photo = await uploaded(client, auth, png(200, 100))
    items = [
        {"image": photo["id"], "strength": 0.2, "client_ref": "light"},
        {"image": photo["id"], "strength": 0.9, "client_ref": "dark"},
    ]
    async with Receiver() as receiver:
        response = await client.post(
            "/v1/models/acme/vignette/batches",
            json={"input": items, "callback_url": receiver.url()},
            headers=auth,
        )
        assert response.status_code == 201, response.text
        batch = await terminal_batch(client, auth, response.json()["id"], timeout_s=60)
        await eventually(lambda: _arrived(receiver), timeout_s=30)

    assert batch["status_code"] == "succeeded"
    assert Decimal(batch["cost"]) == Decimal("0.001") * 2 * Decimal("0.02")
    (received,) = receiver.received
    secret = (await signing_secret(client, auth))["secret"]
    payload = Webhook(secret).verify(received.body, received.headers)
    manifest = payload["output"]["items"]
    assert [entry["client_ref"] for entry in manifest] == ["light", "dark"]
    assert all(entry["output"]["image"].startswith("http") for entry in manifest)

    page = await client.get(
        f"/v1/batches/{batch['id']}/items", params={"embed": "run"}, headers=auth
    )
    runs = [item["run"] for item in page.json()["items"]]
    assert [run["model"]["slug"] for run in runs] == ["vignette", "vignette"]
    assert [run["output"]["strength"] for run in runs] == [0.2, 0.9]
    assert all(run["cost_breakdown"] for run in runs)


async def _arrived(receiver: Receiver) -> bool:
    return bool(receiver.received)

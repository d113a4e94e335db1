"""Events: written in the transaction that causes them, delivered to every endpoint that wants
them, signed with the endpoint's own secret, `webhook-id` = the event id, body
`{type, timestamp, data}` with `data` as the resource's GET shows it (DESIGN §15)."""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from runflow.db.engine import Database
from runflow.webhooks.models import Event
from tests.callbacks.receiver import Receiver
from tests.conftest import MakeKey
from tests.engine.polling import create_batch, eventually, terminal_batch, terminal_run
from tests.media.helpers import uploaded
from tests.webhooks.helpers import create_endpoint, events_of, received_types, types_of, verify

pytestmark = pytest.mark.engine(worker_concurrency=8, callback_retry_delays=(0.1,))

BATCH_OF_THREE = [
    "batch.created",
    "run.succeeded",
    "run.succeeded",
    "run.succeeded",
    "batch.succeeded",
]


async def _event_count(database: Database) -> int:
    async with database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def test_a_batch_tells_an_endpoint_on_star_everything_signed_and_as_get_shows_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        endpoint = await create_endpoint(client, auth, receiver.url())
        batch = await create_batch(client, auth, [{"message": str(i)} for i in range(3)])
        await terminal_batch(client, auth, batch["id"])
        got = await received_types(receiver, BATCH_OF_THREE)

    bodies = [verify(request, endpoint["secret"]) for request in got]
    assert all(set(body) == {"type", "timestamp", "data"} for body in bodies)
    by_type = {body["type"]: body for body in bodies}
    ended = by_type["batch.succeeded"]["data"]
    shown = (await client.get(f"/v1/batches/{batch['id']}", headers=auth)).json()
    assert ended == shown
    assert by_type["batch.created"]["data"]["status_code"] == "queued"
    for body in bodies:
        if body["type"] == "run.succeeded":
            run = (await client.get(f"/v1/runs/{body['data']['id']}", headers=auth)).json()
            assert body["data"] == run

    # webhook-id is the event's id, readable back in the event log.
    for request, body in zip(got, bodies, strict=True):
        event = (await client.get(f"/v1/events/{request.webhook_id}", headers=auth)).json()
        assert event["type"] == body["type"]
        # As delivered, key order included: the log keeps the text it was written with.
        assert json.dumps(event["data"]) == json.dumps(body["data"])
    listed = await client.get("/v1/events", params={"q": "type = run.succeeded"}, headers=auth)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 3
    # A trailing `*`, as on the deliveries' `event_type`: every `batch.` event.
    batches = await client.get("/v1/events", params={"q": 'type = "batch.*"'}, headers=auth)
    assert batches.status_code == 200, batches.text
    assert sorted(e["type"] for e in batches.json()["items"]) == [
        "batch.created",
        "batch.succeeded",
    ]


async def test_every_endpoint_gets_the_same_event_id_and_only_the_types_it_wants(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as everything, Receiver() as endings, Receiver() as failures:
        await create_endpoint(client, auth, everything.url())
        await create_endpoint(client, auth, endings.url(), ["batch.succeeded", "batch.failed"])
        await create_endpoint(client, auth, failures.url(), ["run.failed"])
        batch = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
        await terminal_batch(client, auth, batch["id"])
        all_of_it = await received_types(
            everything, ["batch.created", "run.succeeded", "run.succeeded", "batch.succeeded"]
        )
        (ending,) = await received_types(endings, ["batch.succeeded"])

    assert failures.received == []
    same = [r for r in all_of_it if json.loads(r.body)["type"] == "batch.succeeded"]
    assert same[0].webhook_id == ending.webhook_id
    assert same[0].body == ending.body


async def test_nothing_is_written_when_no_endpoint_wants_it(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["media.created"])
        batch = await create_batch(client, auth, [{"message": "quiet"}])
        await terminal_batch(client, auth, batch["id"])
    assert await _event_count(database) == 0
    listed = (await client.get("/v1/events", headers=auth)).json()
    assert listed["items"] == []


async def test_a_cancelled_batch_tells_of_its_cancelled_runs_and_its_end(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["run.cancelled", "batch.cancelled"])
        batch = await create_batch(client, auth, [{"delay_ms": 20_000}] * 3, model="runflow/echo")
        response = await client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth)
        assert response.status_code == 200, response.text
        await terminal_batch(client, auth, batch["id"], timeout_s=30)
        got = await received_types(receiver, ["run.cancelled"] * 3 + ["batch.cancelled"])
    assert {e["data"]["status_code"] for e in events_of(got)} == {"cancelled"}


async def test_an_upload_is_told_as_media_created(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["media.created"])
        response = await client.post(
            "/v1/media", files={"file": ("dot.png", _png(8, 8), "image/png")}, headers=auth
        )
        assert response.status_code == 201, response.text
        (got,) = await received_types(receiver, ["media.created"])
    data = json.loads(got.body)["data"]
    assert data["id"] == response.json()["id"]
    assert data["sha256"] == response.json()["sha256"]


async def test_an_evaluation_is_told_as_evaluation_completed_and_its_run(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    image = "data:image/png;base64," + base64.b64encode(_png(64, 64)).decode()
    async with Receiver() as receiver:
        await create_endpoint(
            client, auth, receiver.url(), ["evaluation.completed", "run.succeeded"]
        )
        response = await client.post("/v1/evaluations", json={"image": image}, headers=auth)
        assert response.status_code == 201, response.text
        await terminal_run(client, auth, response.json()["id"])
        got = await received_types(receiver, ["evaluation.completed", "run.succeeded"])
    evaluation = next(e for e in events_of(got) if e["type"] == "evaluation.completed")["data"]
    shown = (await client.get(f"/v1/evaluations/{evaluation['id']}", headers=auth)).json()
    assert evaluation["passed"] == shown["passed"]
    assert evaluation["score"] == shown["score"]
    assert evaluation["issues"] == shown["issues"]
    assert evaluation["image_url"] is not None  # the image, stored as the org's own media


async def test_an_evaluation_of_another_orgs_media_is_told_without_its_url(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    theirs = await uploaded(client, auth, _png(64, 64))
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    async with Receiver() as receiver:
        await create_endpoint(client, other, receiver.url(), ["evaluation.completed"])
        response = await client.post(
            "/v1/models/runflow/image-quality/runs",
            json={"input": {"image": theirs["id"]}},
            headers=other,
        )
        assert response.status_code == 201, response.text
        (got,) = await received_types(receiver, ["evaluation.completed"])
    evaluation = json.loads(got.body)["data"]
    assert evaluation["failure_code"] == "INPUT_FETCH_FAILED"
    assert evaluation["image_url"] is None


async def test_another_orgs_events_are_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: object
) -> None:
    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["batch.created"])
        await create_batch(client, auth, [{"message": "mine"}])
        (got,) = await received_types(receiver, ["batch.created"])
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}  # type: ignore[operator]
    assert (await client.get(f"/v1/events/{got.webhook_id}", headers=other)).status_code == 404
    assert (await client.get("/v1/events", headers=other)).json()["items"] == []
    assert (await client.get(f"/v1/events/{got.webhook_id}", headers=auth)).status_code == 200


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


__all__ = ["eventually", "types_of"]

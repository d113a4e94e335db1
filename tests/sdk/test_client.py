"""The SDK against a real server: create and wait, paging, errors from real responses,
uploads, and verifying what the server signs."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from runflow_sdk import (
    AsyncRunflow,
    AuthenticationError,
    BadRequestError,
    BatchProgress,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    PermissionDeniedError,
    Runflow,
    UnprocessableEntityError,
    WebhookEvent,
    WebhookVerificationError,
)
from runflow_sdk.types import BatchCallbackPayload

from tests.callbacks.receiver import Receiver
from tests.cli import run_runflow
from tests.served import BOOTSTRAP_KEY, Server

ECHO = "runflow/echo"


def _echo_items(count: int, **extra: object) -> list[dict[str, object]]:
    return [{"message": f"item {i}", "client_ref": f"ref-{i}", **extra} for i in range(count)]


def test_create_and_wait_reports_progress_to_the_end(client: Runflow) -> None:
    created = client.batches.create(ECHO, input=_echo_items(5, delay_ms=50))
    seen: list[BatchProgress] = []

    ended = client.batches.wait(created.id, on_progress=seen.append)

    assert ended.status_code == "succeeded"
    assert ended.items_succeeded == 5
    assert seen[-1].ended
    assert seen[-1].items_done == 5
    done = [progress.items_done for progress in seen]
    assert done == sorted(done)  # counters only move forward
    rows = list(client.batches.items(created.id))
    assert [row.client_ref for row in rows] == [f"ref-{i}" for i in range(5)]
    assert {row.output["message"] for row in rows if row.output} == {f"item {i}" for i in range(5)}


async def test_async_create_and_wait(async_client: AsyncRunflow) -> None:
    created = await async_client.batches.create(ECHO, input=_echo_items(3))
    ended = await async_client.batches.wait(created.id)
    assert ended.status_code == "succeeded"
    statuses = [row.status_code async for row in async_client.batches.items(created.id)]
    assert statuses == ["succeeded"] * 3


def test_a_single_run_and_its_wait(client: Runflow) -> None:
    run = client.runs.create(ECHO, input={"message": "one"}, client_ref="solo")
    ended = client.runs.wait(run.id)
    assert ended.status_code == "succeeded"
    assert ended.output is not None
    assert ended.output["message"] == "one"
    again = client.runs.wait(run.id)  # an ended run returns at once
    assert again.id == run.id


def test_iterating_1000_runs_across_pages_sync_and_async(client: Runflow, server: Server) -> None:
    marker = uuid.uuid4().hex[:12]
    created = [
        client.batches.create(
            ECHO, input=[{"message": "m", "client_ref": f"{marker}-{b}-{i}"} for i in range(100)]
        )
        for b in range(10)
    ]
    for batch in created:
        client.batches.wait(batch.id)
    query = f'client_ref = "{marker}-*"'

    ids = [run.id for run in client.runs.list(q=query, limit=97)]
    assert len(ids) == 1000
    assert len(set(ids)) == 1000  # no row twice across cursor pages
    assert len(list(client.runs.list(q=query, limit=97).pages())) == 11

    async def read_async() -> list[uuid.UUID]:
        async with AsyncRunflow(api_key=BOOTSTRAP_KEY, base_url=server.base_url) as runflow:
            return [run.id async for run in runflow.runs.list(q=query, limit=211)]

    assert sorted(asyncio.run(read_async())) == sorted(ids)


# Errors, each from the server's own answer.


def test_a_wrong_key_is_an_authentication_error_at_once(server: Server) -> None:
    with (
        Runflow(api_key="rf_wrong_key", base_url=server.base_url, max_retries=5) as wrong,
        pytest.raises(AuthenticationError) as raised,
    ):
        wrong.account.get()
    assert raised.value.status_code == 401
    assert raised.value.code == "UNAUTHORIZED"
    assert raised.value.request_id


def test_not_found_carries_the_envelope(client: Runflow) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.batches.get(uuid.uuid4())
    assert raised.value.code == "NOT_FOUND"
    assert "does not exist" in raised.value.message


def test_a_bad_query_is_a_bad_request_with_its_position(client: Runflow) -> None:
    with pytest.raises(BadRequestError) as raised:
        client.batches.list(q="status_code ==").first_page()
    assert raised.value.errors
    assert "position" in raised.value.errors[0]


def test_invalid_items_are_unprocessable_with_every_location(client: Runflow) -> None:
    with pytest.raises(UnprocessableEntityError) as raised:
        client.batches.create(ECHO, input=[{"message": "ok"}, {"mesage": "typo"}])
    assert raised.value.code == "VALIDATION_ERROR"
    assert raised.value.errors is not None
    assert raised.value.errors[0]["loc"][:3] == ["body", "input", 1]


def test_an_idempotency_key_reused_for_another_body_is_a_conflict(client: Runflow) -> None:
    key = f"sdk-test-{uuid.uuid4()}"
    first = client.batches.create(ECHO, input=_echo_items(1), idempotency_key=key)
    again = client.batches.create(ECHO, input=_echo_items(1), idempotency_key=key)
    assert again.id == first.id  # the same request: the stored answer
    with pytest.raises(ConflictError):
        client.batches.create(ECHO, input=_echo_items(2), idempotency_key=key)


async def test_a_viewer_is_denied_and_a_poor_org_is_refused(server: Server) -> None:
    code, viewer_key, _ = await run_runflow(
        server.data_dir, "keys", "create", "--org", "sdk-viewers", "--role", "viewer"
    )
    assert code == 0
    code, poor_key, _ = await run_runflow(
        server.data_dir, "keys", "create", "--org", "sdk-poor", RUNFLOW_CREDITS_ENFORCED="true"
    )
    assert code == 0
    async with AsyncRunflow(api_key=viewer_key.strip(), base_url=server.base_url) as viewer:
        with pytest.raises(PermissionDeniedError) as denied:
            await viewer.batches.create(ECHO, input=_echo_items(1))
    assert denied.value.status_code == 403
    async with AsyncRunflow(api_key=poor_key.strip(), base_url=server.base_url) as poor:
        with pytest.raises(InsufficientCreditsError) as refused:
            await poor.batches.create("runflow/txt2img", input=[{"prompt": "a fox"}])
        assert refused.value.code == "INSUFFICIENT_CREDITS"
        assert [batch async for batch in poor.batches.list()] == []  # nothing was created


# Media.


def _noise_png(side: int) -> bytes:
    pixels = np.random.default_rng(7).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def test_a_30_mb_upload_goes_through_the_three_step_flow(client: Runflow, tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(_noise_png(3200))
    size = path.stat().st_size
    assert size > 30_000_000
    progress: list[tuple[int, int]] = []

    media = client.media.upload(
        path, folder="sdk/large", on_progress=lambda s, t: progress.append((s, t))
    )

    assert media.size_bytes == size
    assert (media.width, media.height) == (3200, 3200)
    assert media.folder == "sdk/large"
    assert len(progress) > 10
    assert progress[-1] == (size, size)
    uploads = [m for m in client.media.list(folder="sdk/large")]
    assert [m.id for m in uploads] == [media.id]
    assert client.media.download(media) == path.read_bytes()


def test_a_small_upload_is_one_multipart_request(client: Runflow) -> None:
    data = _noise_png(16)
    media = client.media.upload(data, filename="tiny.png")
    assert media.content_type == "image/png"
    assert media.size_bytes == len(data)
    moved = client.media.update(media.id, folder="sdk/moved")
    assert moved.folder == "sdk/moved"
    client.media.delete(media.id)
    with pytest.raises(NotFoundError):
        client.media.get(media.id)


# What the server signs, verified with the SDK.


async def _until_received(receiver: Receiver) -> None:
    """Until the first delivery arrives (deliveries are sent in the background)."""
    for _ in range(1200):
        if receiver.received:
            return
        await asyncio.sleep(0.05)
    pytest.fail("no delivery arrived within a minute")


async def test_verify_a_real_batch_callback_and_refuse_one_changed_byte(
    async_client: AsyncRunflow,
) -> None:
    async with Receiver() as receiver:
        created = await async_client.batches.create(
            ECHO, input=_echo_items(2), callback_url=receiver.url()
        )
        await async_client.batches.wait(created.id)
        secret = (await async_client.webhooks.signing_secret()).secret
        await _until_received(receiver)
    delivery = receiver.received[0]

    verified = async_client.webhooks.verify(delivery.body, delivery.headers, secret)

    assert isinstance(verified, BatchCallbackPayload)
    assert verified.batch_id == created.id
    assert verified.status == "succeeded"
    changed = bytearray(delivery.body)
    changed[len(changed) // 2] ^= 1
    with pytest.raises(WebhookVerificationError):
        async_client.webhooks.verify(bytes(changed), delivery.headers, secret)
    with pytest.raises(WebhookVerificationError):
        async_client.webhooks.verify(delivery.body, delivery.headers, "whsec_" + "A" * 32)


async def test_verify_an_endpoint_delivery_as_a_typed_event(async_client: AsyncRunflow) -> None:
    async with Receiver() as receiver:
        endpoint = await async_client.webhooks.endpoints.create(
            url=receiver.url("/events"), event_types=["webhook.test"]
        )
        try:
            await async_client.webhooks.endpoints.test(endpoint.id)
            await _until_received(receiver)
        finally:
            await async_client.webhooks.endpoints.delete(endpoint.id)
    delivery = receiver.received[0]

    event = async_client.webhooks.verify(delivery.body, delivery.headers, endpoint.secret)

    assert isinstance(event, WebhookEvent)
    assert event.type == "webhook.test"
    assert event.id == delivery.headers["webhook-id"]

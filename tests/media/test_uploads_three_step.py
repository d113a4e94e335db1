"""The three-step upload: create → PUT the bytes to the signed URL → complete."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.media.models import MediaUpload
from tests.media.helpers import (
    SVG,
    download,
    local_path,
    media_rows,
    mp4,
    noise_png,
    png,
    stored_files,
)


async def start(client: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/media/uploads", json=body, headers=auth)
    assert response.status_code == 201, response.text
    upload: dict[str, Any] = response.json()
    return upload


async def put(client: httpx.AsyncClient, upload: dict[str, Any], data: Any) -> httpx.Response:
    """PUT to the signed URL, with no API key."""
    return await client.put(local_path(upload["upload_url"]), content=data)


@pytest.mark.media(max_body_bytes=1_000_000)
async def test_a_file_larger_than_the_request_body_cap_uploads_in_three_steps(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    data = noise_png(700, 700)  # ~1.5 MB: over the 1 MB body cap of every other route
    upload = await start(client, auth, folder="raw", size_bytes=len(data))
    assert (upload["status_code"], upload["upload_method"]) == ("pending", "PUT")

    sent = await put(client, upload, data)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status_code"] == "received"
    assert sent.json()["sha256"] == hashlib.sha256(data).hexdigest()

    done = await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)
    assert done.status_code == 201, done.text
    media = done.json()
    assert media["id"] == upload["id"]
    assert (media["content_type"], media["width"], media["height"]) == ("image/png", 700, 700)
    assert (media["size_bytes"], media["folder"]) == (len(data), "raw")
    assert (await download(client, media["url"])).content == data

    again = await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)
    assert again.status_code == 200
    assert again.json()["id"] == media["id"]


async def test_a_video_uploads_in_three_steps(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    upload = await start(client, auth)
    assert (await put(client, upload, mp4(frames=6, fps=12))).status_code == 200
    media = (await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)).json()
    assert (media["content_type"], media["duration_ms"]) == ("video/mp4", 500)


async def test_completing_before_the_bytes_arrive_is_a_conflict(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    upload = await start(client, auth)
    response = await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert await media_rows(database) == (0, 1)


@pytest.mark.parametrize(
    ("data", "kind"),
    [(SVG, "media_svg"), (b"", "media_empty"), (png()[:-12], "media_corrupt"),
     (b"plain text", "media_not_media")],
    ids=["svg", "empty", "truncated-png", "text"],
)  # fmt: skip
async def test_refused_bytes_leave_the_upload_pending_and_nothing_stored(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    data: bytes,
    kind: str,
) -> None:
    upload = await start(client, auth)
    response = await put(client, upload, data)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["type"] == kind
    assert stored_files(settings.data_dir) == []
    complete = await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)
    assert complete.status_code == 409
    assert await media_rows(database) == (0, 1)


@pytest.mark.parametrize("size", [True, "10", 1.5, 0])
async def test_a_declared_size_that_is_not_a_positive_whole_number_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, size: object
) -> None:
    response = await client.post("/v1/media/uploads", json={"size_bytes": size}, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "size_bytes"]
    assert await media_rows(database) == (0, 0)


@pytest.mark.media(media_max_bytes=20_000)
async def test_a_declared_size_written_as_a_whole_float_is_that_number(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """JSON Schema's integer: `2048.0` is 2048 (Schemathesis sends such values)."""
    within = await client.post("/v1/media/uploads", json={"size_bytes": 2048.0}, headers=auth)
    assert within.status_code == 201, within.text
    over = await client.post("/v1/media/uploads", json={"size_bytes": 20_001.0}, headers=auth)
    assert over.status_code == 413, over.text


@pytest.mark.media(media_max_bytes=20_000)
async def test_a_declared_size_over_the_cap_is_refused_at_once(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    response = await client.post("/v1/media/uploads", json={"size_bytes": 20_001}, headers=auth)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert await media_rows(database) == (0, 0)


@pytest.mark.media(media_max_bytes=20_000)
async def test_bytes_over_the_cap_are_413_declared_or_streamed(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, settings: Settings
) -> None:
    data = noise_png(100, 100)
    upload = await start(client, auth)

    declared = await put(client, upload, data)

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for offset in range(0, len(data), 4096):
            yield data[offset : offset + 4096]

    streamed = await put(client, upload, chunked())

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_files(settings.data_dir) == []
    assert await media_rows(database) == (0, 1)


async def test_a_tampered_upload_url_is_403(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    upload = await start(client, auth)
    path = local_path(upload["upload_url"])
    response = await client.put(path[:-2] + "xx", content=png())
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
    assert stored_files(settings.data_dir) == []


async def test_an_unknown_upload_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/media/uploads/0190a8c4-0000-7000-8000-000000000000/complete", headers=auth
    )
    assert response.status_code == 404


async def test_an_abandoned_upload_is_swept_with_its_bytes(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, settings: Settings
) -> None:
    abandoned = await start(client, auth)
    assert (await put(client, abandoned, png())).status_code == 200
    assert len(stored_files(settings.data_dir)) == 1
    async with database.transaction() as session:
        await session.execute(
            update(MediaUpload).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    late = await client.post(f"/v1/media/uploads/{abandoned['id']}/complete", headers=auth)
    assert late.status_code == 404
    assert (await put(client, abandoned, png())).status_code == 404
    await start(client, auth)  # creating an upload sweeps expired ones

    assert await media_rows(database) == (0, 1)
    assert stored_files(settings.data_dir) == []


async def test_concurrent_completes_make_one_media_object(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    upload = await start(client, auth)
    assert (await put(client, upload, png())).status_code == 200

    path = f"/v1/media/uploads/{upload['id']}/complete"
    responses = await asyncio.gather(*(client.post(path, headers=auth) for _ in range(6)))

    assert sorted(r.status_code for r in responses) == [200] * 5 + [201], [
        r.text for r in responses
    ]
    assert {r.json()["id"] for r in responses} == {upload["id"]}
    assert await media_rows(database) == (1, 0)


async def test_a_put_still_streaming_when_the_upload_completes_changes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, settings: Settings
) -> None:
    first, late = png(20, 20), png(30, 30)
    upload = await start(client, auth)
    assert (await put(client, upload, first)).status_code == 200
    streaming, release = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield late[:100]
        streaming.set()
        await release.wait()
        yield late[100:]

    second = asyncio.create_task(put(client, upload, slow_body()))
    await asyncio.wait_for(streaming.wait(), timeout=10)
    done = await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)
    release.set()
    refused = await asyncio.wait_for(second, timeout=10)

    assert done.status_code == 201, done.text
    assert refused.status_code == 404, refused.text
    media = done.json()
    assert media["sha256"] == hashlib.sha256(first).hexdigest()
    assert (await download(client, media["url"])).content == first
    assert await media_rows(database) == (1, 0)
    assert len(stored_files(settings.data_dir)) == 1  # the late bytes were not kept


async def test_a_second_put_replaces_the_first_and_keeps_one_file(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    upload = await start(client, auth)
    assert (await put(client, upload, png(20, 20))).status_code == 200
    replacement = png(30, 30)
    assert (await put(client, upload, replacement)).status_code == 200
    assert len(stored_files(settings.data_dir)) == 1

    done = await client.post(f"/v1/media/uploads/{upload['id']}/complete", headers=auth)
    media = done.json()
    assert (media["width"], media["sha256"]) == (30, hashlib.sha256(replacement).hexdigest())
    assert (await download(client, media["url"])).content == replacement

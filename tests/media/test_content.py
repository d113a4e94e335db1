"""Signed content URLs work without an API key; tampered, expired or borrowed ones are 403."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.kit.clock import utcnow
from runflow.media.library import MediaLibrary
from runflow.media.signing import DOWNLOAD, UPLOAD
from tests.conftest import MakeKey
from tests.media.helpers import download, local_path, media_rows, png, stored_files, uploaded


def _library(app: FastAPI) -> MediaLibrary:
    library: MediaLibrary = app.state.media_library
    return library


async def test_a_signed_url_downloads_the_bytes_without_an_api_key(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    data = png(30, 20)
    media = await uploaded(client, auth, data)

    response = await download(client, media["url"])

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("accept", "served"),
    [
        ("application/octet-stream", "application/octet-stream"),
        ("application/octet-stream, image/png", "image/png"),
        ("application/octet-stream;q=0.9, image/*", "image/png"),
        ("*/*", "image/png"),
        ("", "image/png"),
    ],
)
async def test_a_client_asking_only_for_raw_bytes_gets_them_as_octet_stream(
    client: httpx.AsyncClient, auth: dict[str, str], accept: str, served: str
) -> None:
    data = png(8, 8)
    media = await uploaded(client, auth, data)

    response = await client.get(local_path(media["url"]), headers={"Accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"] == served
    assert response.content == data


@pytest.mark.media(media_url_ttl_s=120)
async def test_a_signed_url_expires_after_the_configured_lifetime(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = utcnow()
    media = await uploaded(client, auth, png())

    expires_at = datetime.fromisoformat(media["url_expires_at"])
    assert int(httpx.URL(media["url"]).params["expires"]) == int(expires_at.timestamp())
    assert before + timedelta(seconds=119) <= expires_at <= utcnow() + timedelta(seconds=120)


async def _forbidden(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "PERMISSION_DENIED"
    assert set(body) == {"code", "message", "errors"}


async def test_a_tampered_signature_is_403(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    media = await uploaded(client, auth, png())
    path = local_path(media["url"])
    flipped = path[:-1] + ("A" if path[-1] != "A" else "B")
    await _forbidden(client, flipped)


async def test_a_later_expiry_with_the_old_signature_is_403(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media = await uploaded(client, auth, png())
    path = local_path(media["url"])
    expires = httpx.URL(media["url"]).params["expires"]
    await _forbidden(client, path.replace(f"expires={expires}", f"expires={int(expires) + 3600}"))


async def test_an_expired_url_is_403(
    client: httpx.AsyncClient, auth: dict[str, str], app: FastAPI
) -> None:
    media = await uploaded(client, auth, png())
    signer = await _library(app).signer()
    query = signer.sign(DOWNLOAD, uuid.UUID(media["id"]), utcnow() - timedelta(seconds=1))
    await _forbidden(client, f"/v1/media/{media['id']}/content?{query}")


async def test_one_objects_signature_does_not_open_another(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await uploaded(client, auth, png(10, 10))
    second = await uploaded(client, auth, png(12, 12))
    borrowed = local_path(first["url"]).replace(first["id"], second["id"])
    await _forbidden(client, borrowed)


async def test_an_upload_signature_is_not_a_download_signature(
    client: httpx.AsyncClient, auth: dict[str, str], app: FastAPI
) -> None:
    media = await uploaded(client, auth, png())
    signer = await _library(app).signer()
    query = signer.sign(UPLOAD, uuid.UUID(media["id"]), utcnow() + timedelta(hours=1))
    await _forbidden(client, f"/v1/media/{media['id']}/content?{query}")


@pytest.mark.parametrize(
    "query", ["", "?expires=99999999999", "?signature=abc", "?expires=x&signature=y"]
)
async def test_an_unsigned_or_malformed_url_is_403(
    client: httpx.AsyncClient, auth: dict[str, str], query: str
) -> None:
    media = await uploaded(client, auth, png())
    await _forbidden(client, f"/v1/media/{media['id']}/content{query}")


async def test_reading_media_gives_a_fresh_working_url(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    data = png()
    media = await uploaded(client, auth, data)
    read = (await client.get(f"/v1/media/{media['id']}", headers=auth)).json()
    assert read["id"] == media["id"]
    assert read["sha256"] == media["sha256"]
    assert (await download(client, read["url"])).content == data


async def test_deleting_media_removes_it_and_its_bytes(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, settings: Settings
) -> None:
    media = await uploaded(client, auth, png())

    response = await client.delete(f"/v1/media/{media['id']}", headers=auth)

    assert response.status_code == 204
    assert (await client.get(f"/v1/media/{media['id']}", headers=auth)).status_code == 404
    gone = await download(client, media["url"])
    assert gone.status_code == 404
    assert gone.json()["code"] == "NOT_FOUND"
    assert await media_rows(database) == (0, 0)
    assert stored_files(settings.data_dir) == []


async def test_another_orgs_media_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    media = await uploaded(client, auth, png(), folder="private")
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    media_path = f"/v1/media/{media['id']}"

    for response in (
        await client.get(media_path, headers=other),
        await client.patch(media_path, json={"folder": "stolen"}, headers=other),
        await client.delete(media_path, headers=other),
        await client.post(f"/v1/media/uploads/{media['id']}/complete", headers=other),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "NOT_FOUND"
    assert (await client.get("/v1/media", headers=other)).json()["items"] == []
    assert (await client.get(media_path, headers=auth)).json()["folder"] == "private"


async def test_unknown_media_is_not_found(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(f"/v1/media/{uuid.uuid4()}", headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"

"""Media through the engine: inputs by media id, https URL or data: URI; outputs as media.

These are the issue's "done when": face-detect over uploaded photos and upscale over https
URLs of a local server succeed end to end, and every output URL downloads, without an API
key, the image it claims to be.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from runflow.config import Settings
from runflow.db.engine import Database
from tests.conftest import MakeKey
from tests.engine.polling import create_batch, terminal_batch
from tests.media.helpers import (
    download,
    image_size,
    media_rows,
    mp4,
    png,
    stored_files,
    uploaded,
)
from tests.media.server import MediaServer
from tests.models_builtin.synthetic import encode, face_cartoon, flat_grey, gradient

pytestmark = pytest.mark.engine(worker_concurrency=4)

# Where signed URLs point (RUNFLOW_PUBLIC_URL): not this test client's host, on purpose.
PUBLIC_URL = "https://media.runflow.example:8443"


async def _items(
    client: httpx.AsyncClient, auth: dict[str, str], batch_id: str
) -> list[dict[str, Any]]:
    page = (await client.get(f"/v1/batches/{batch_id}/items?limit=100", headers=auth)).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def _fetched(client: httpx.AsyncClient, url: str, content_type: str) -> bytes:
    response = await download(client, url)  # no Authorization header
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    return response.content


async def _output(
    client: httpx.AsyncClient, auth: dict[str, str], url: str, content_type: str
) -> tuple[bytes, dict[str, Any]]:
    """Download an output URL without an API key and hold it to its media object's claims:
    the bytes' own format, pixel size, length and sha256 are what the object records."""
    assert url.startswith(f"{PUBLIC_URL}/v1/media/"), url  # RUNFLOW_PUBLIC_URL
    data = await _fetched(client, url, content_type)
    media_id = httpx.URL(url).path.split("/")[3]
    response = await client.get(f"/v1/media/{media_id}", headers=auth)  # owned by the org
    assert response.status_code == 200, response.text
    media: dict[str, Any] = response.json()
    assert (media["source_code"], media["content_type"]) == ("output", content_type)
    assert (media["size_bytes"], media["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    with Image.open(io.BytesIO(data)) as image:
        assert Image.MIME[image.format or ""] == content_type
        assert image.size == (media["width"], media["height"])
    return data, media


@pytest.mark.media(public_url=PUBLIC_URL)
async def test_face_detect_batch_over_uploaded_photos(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    photos = [encode(face_cartoon(face_size=size)) for size in (120, 160, 200)]
    photos.append(encode(flat_grey(200, 150)))  # no face
    ids = [(await uploaded(client, auth, photo, folder="people"))["id"] for photo in photos]

    created = await create_batch(
        client, auth, [{"image": media_id} for media_id in ids], "runflow/face-detect"
    )
    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "succeeded", batch
    outputs = [entry["output"] for entry in batch["output"]["items"]]
    assert [output["count"] for output in outputs] == [1, 1, 1, 0]
    items = await _items(client, auth, created["id"])
    for photo, output, item in zip(photos, outputs, items, strict=True):
        annotated, media = await _output(client, auth, output["image"], "image/png")
        assert image_size(annotated) == image_size(photo)
        assert media["run_id"] == item["run_id"]
    # The stored input already named media: it is kept as given.
    assert [item["input"]["image"] for item in items] == ids


@pytest.mark.media(public_url=PUBLIC_URL)
async def test_upscale_batch_over_https_urls(
    client: httpx.AsyncClient, auth: dict[str, str], media_server: MediaServer
) -> None:
    sizes = [(40, 30), (64, 48), (25, 60)]
    urls = [
        media_server.file(f"/img/{i}.png", encode(gradient(w, h))) for i, (w, h) in enumerate(sizes)
    ]
    urls.append(media_server.file("/img/photo.jpg", encode(gradient(30, 20), "JPEG"), "image/jpeg"))
    sizes.append((30, 20))
    urls.append(media_server.redirect("/moved", "/img/1.png", status=301))  # followed, re-vetted
    sizes.append((64, 48))

    created = await create_batch(
        client,
        auth,
        [{"image": url, "scale": 2, "output_format": "webp"} for url in urls],
        "runflow/upscale",
    )
    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "succeeded", batch
    for (width, height), entry in zip(sizes, batch["output"]["items"], strict=True):
        data, _ = await _output(client, auth, entry["output"]["image"], "image/webp")
        assert image_size(data) == (width * 2, height * 2)

    # Each run's stored input records the media object its URL was fetched into.
    for url, item in zip(urls, await _items(client, auth, created["id"]), strict=True):
        media = await client.get(f"/v1/media/{item['input']['image']}", headers=auth)
        assert media.status_code == 200, media.text
        fetched = media.json()
        assert (fetched["source_code"], fetched["source_url"]) == ("url", url)
        assert fetched["run_id"] == item["run_id"]
    outputs = (await client.get("/v1/media?limit=100", headers=auth)).json()["items"]
    assert sorted(m["source_code"] for m in outputs) == ["output"] * 5 + ["url"] * 5


async def test_a_data_uri_input_is_recorded_as_a_media_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    data = png(20, 10)
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    created = await create_batch(client, auth, [{"image": uri}], "runflow/upscale")
    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "succeeded", batch
    [item] = await _items(client, auth, created["id"])
    media = (await client.get(f"/v1/media/{item['input']['image']}", headers=auth)).json()
    assert media["source_code"] == "data_uri"
    assert (await _fetched(client, media["url"], "image/png")) == data


async def test_img2video_output_is_a_video_with_its_duration(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    source = await uploaded(client, auth, png(64, 48))
    created = await create_batch(
        client,
        auth,
        [{"image": source["id"], "duration_s": 1, "fps": 6, "output_format": "mp4"}],
        "runflow/img2video",
    )
    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "succeeded", batch
    url = batch["output"]["items"][0]["output"]["video"]
    video = await _fetched(client, url, "video/mp4")
    assert video[4:8] == b"ftyp"
    media_id = httpx.URL(url).path.split("/")[3]
    media = (await client.get(f"/v1/media/{media_id}", headers=auth)).json()
    assert (media["width"], media["height"], media["duration_ms"]) == (64, 48, 1000)


async def _failures(
    client: httpx.AsyncClient, auth: dict[str, str], items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The error of each item; each item's run must have failed at dispatch, fetching."""
    created = await create_batch(client, auth, items, "runflow/upscale")
    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)
    assert batch["status_code"] == "failed", batch
    for item in await _items(client, auth, created["id"]):
        run = (await client.get(f"/v1/runs/{item['run_id']}", headers=auth)).json()
        failure = (run["status_code"], run["failure_stage_code"], run["failure_code"])
        assert failure == ("failed", "dispatch", "INPUT_FETCH_FAILED"), run
    errors: list[dict[str, Any]] = [entry["error"] for entry in batch["output"]["items"]]
    return errors


@pytest.mark.engine(worker_concurrency=8)
@pytest.mark.media(media_fetch_timeout_s=1.0, media_max_bytes=40_000)
async def test_inputs_that_cannot_be_fetched_fail_at_dispatch_and_leave_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    media_server: MediaServer,
    make_key: MakeKey,
    settings: Settings,
) -> None:
    video = await uploaded(client, auth, mp4(), content_type="video/mp4")
    other_org = {"Authorization": f"Bearer {await make_key(org='globex', email='g@globex.test')}"}
    foreign = await uploaded(client, other_org, png())
    huge = bytes(range(256)) * 400  # 102,400 bytes: over the 40,000-byte cap
    cases = {
        "metadata": media_server.redirect("/to-metadata", "https://169.254.169.254/latest/"),
        "private": media_server.redirect("/to-private", "https://10.20.30.40/cat.png"),
        "http": media_server.redirect("/to-http", f"http://127.0.0.1:{media_server.port}/a.png"),
        "endless": media_server.endless("/endless.png"),
        "too-big": media_server.file("/huge.png", huge),  # streamed: no Content-Length
        "too-big-declared": media_server.file(
            "/huge-declared.png", huge, headers={"content-length": str(len(huge))}
        ),
        "not-an-image": media_server.file("/page.png", b"<html>hello</html>", "image/png"),
        "svg": media_server.file("/logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        "missing": media_server.url("/nowhere.png"),
        "redirect-loop": media_server.redirect("/loop", "/loop"),
        "video-as-image": video["id"],
        "other-org": foreign["id"],
        "unknown-id": "0190a8c4-0000-7000-8000-000000000000",
        "bad-data-uri": "data:image/png;base64,iVBORw0KGgo=",
    }
    before = await media_rows(database)

    errors = await _failures(client, auth, [{"image": value} for value in cases.values()])

    for name, error in zip(cases, errors, strict=True):
        assert (error["code"], error["stage"]) == ("INPUT_FETCH_FAILED", "dispatch"), name
    messages = dict(zip(cases, (error["message"] for error in errors), strict=True))
    assert "169.254.169.254" in messages["metadata"]
    assert "10.20.30.40" in messages["private"]
    assert "https" in messages["http"]
    assert "within 1 s" in messages["endless"]
    assert "40000-byte limit" in messages["too-big"]
    assert "40000-byte limit" in messages["too-big-declared"]
    assert "SVG" in messages["svg"]
    assert "HTTP 404" in messages["missing"]
    assert "more than 5 redirects" in messages["redirect-loop"]
    assert "video/mp4, not image" in messages["video-as-image"]
    assert "does not exist" in messages["other-org"]
    assert await media_rows(database) == before  # no media object from any failed fetch
    # ... and no bytes: only the two uploads are stored, nothing is left in staging.
    assert len(stored_files(settings.data_dir)) == 2


@pytest.mark.media(media_fetch_ca_bundle=None)
async def test_a_certificate_the_system_does_not_trust_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], media_server: MediaServer
) -> None:
    url = media_server.file("/a.png", png())
    [error] = await _failures(client, auth, [{"image": url}])
    assert (error["code"], error["stage"]) == ("INPUT_FETCH_FAILED", "dispatch")
    assert "ConnectError" in error["message"]
    assert media_server.requests == []  # the TLS handshake failed before any request

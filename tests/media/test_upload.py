"""`POST /v1/media`: what is sniffed and recorded, and every bad file refused with nothing left."""

from __future__ import annotations

import hashlib
import io

import httpx
import pytest
from PIL import Image

from runflow.auth.roles import Role
from runflow.config import Settings
from runflow.db.engine import Database
from tests.conftest import MakeKey
from tests.media.helpers import (
    SVG,
    SVG_AFTER_COMMENT,
    animated_webp,
    download,
    media_rows,
    mp4,
    noise_png,
    png,
    stored_files,
    upload,
    uploaded,
)
from tests.models_builtin.synthetic import encode, gradient


async def test_an_uploaded_png_records_what_its_bytes_are(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    data = png(64, 48)
    media = await uploaded(client, auth, data, folder="campaigns/spring")

    assert media["content_type"] == "image/png"
    assert media["size_bytes"] == len(data)
    assert media["sha256"] == hashlib.sha256(data).hexdigest()
    assert (media["width"], media["height"], media["duration_ms"]) == (64, 48, None)
    assert media["folder"] == "campaigns/spring"
    assert media["source_code"] == "upload"
    content_url = f"{settings.resolved_public_url}/v1/media/{media['id']}/content?"
    assert media["url"].startswith(content_url)
    assert (await download(client, media["url"])).content == data
    # Stored by default in the local directory under the data dir: `media/{org}/{id}`.
    [stored] = stored_files(settings.data_dir)
    assert (stored.parent.parent, stored.name) == (settings.data_dir / "media", media["id"])
    assert stored.read_bytes() == data


async def test_the_content_type_is_sniffed_not_taken_from_the_client(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    jpeg = encode(gradient(40, 30), "JPEG")
    media = await uploaded(client, auth, jpeg, filename="x.png", content_type="image/png")
    assert media["content_type"] == "image/jpeg"
    assert (media["width"], media["height"]) == (40, 30)


async def test_a_camera_jpeg_with_extra_pictures_is_a_still_jpeg(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first, second = Image.new("RGB", (40, 30), (10, 20, 30)), Image.new("RGB", (40, 30), "red")
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])  # multi-picture JPEG
    media = await uploaded(client, auth, buffer.getvalue(), content_type="image/jpeg")
    assert (media["content_type"], media["width"], media["duration_ms"]) == ("image/jpeg", 40, None)


async def test_a_video_records_its_size_and_duration(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media = await uploaded(
        client, auth, mp4(frames=24, fps=12), filename="a.mp4", content_type="video/mp4"
    )
    assert media["content_type"] == "video/mp4"
    assert (media["width"], media["height"], media["duration_ms"]) == (64, 48, 2000)


async def test_an_animated_webp_records_its_duration(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media = await uploaded(client, auth, animated_webp(frames=6, fps=6), content_type="image/webp")
    assert media["content_type"] == "image/webp"
    assert media["duration_ms"] == 1000


def _truncated_midway() -> bytes:
    data = png(64, 48)
    return data[: len(data) // 2]


def _truncated_before_iend() -> bytes:
    return png(64, 48)[:-12]  # the last chunk (IEND) is 12 bytes


@pytest.mark.parametrize(
    ("data", "filename", "declared", "kind"),
    [
        pytest.param(b"just some text, not a picture", "x.png", "image/png", "media_not_media",
                     id="text-declared-as-png"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "x.jpg", "image/jpeg",
                     "media_not_media", id="pdf-declared-as-jpeg"),
        pytest.param(b"", "empty.png", "image/png", "media_empty", id="zero-bytes"),
        pytest.param(_truncated_midway(), "cut.png", "image/png", "media_corrupt",
                     id="png-cut-midway"),
        pytest.param(_truncated_before_iend(), "cut.png", "image/png", "media_corrupt",
                     id="png-without-iend"),
        pytest.param(SVG, "logo.svg", "image/svg+xml", "media_svg", id="svg"),
        pytest.param(SVG, "logo.png", "image/png", "media_svg", id="svg-declared-as-png"),
        pytest.param(SVG_AFTER_COMMENT, "logo.svg", "image/svg+xml", "media_svg",
                     id="svg-after-a-comment"),
        pytest.param(mp4()[:200], "cut.mp4", "video/mp4", "media_corrupt", id="mp4-cut"),
    ],
)  # fmt: skip
async def test_bad_files_are_refused_and_leave_nothing_behind(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    data: bytes,
    filename: str,
    declared: str,
    kind: str,
) -> None:
    response = await upload(client, auth, data, filename=filename, content_type=declared)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["errors"][0]["loc"] == ["body", "file"]
    assert body["errors"][0]["type"] == kind
    assert await media_rows(database) == (0, 0)
    assert stored_files(settings.data_dir) == []


async def test_svg_refusal_says_why(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await upload(client, auth, SVG, filename="a.svg", content_type="image/svg+xml")
    assert "script" in response.json()["message"]


@pytest.mark.media(media_max_bytes=10_000)
async def test_a_file_over_the_media_cap_is_413_and_leaves_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, settings: Settings
) -> None:
    data = noise_png(100, 100)
    assert len(data) > 10_000
    response = await upload(client, auth, data)

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert await media_rows(database) == (0, 0)
    assert stored_files(settings.data_dir) == []


@pytest.mark.media(max_body_bytes=50_000)
async def test_a_request_over_the_body_cap_is_413_before_parsing(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, settings: Settings
) -> None:
    response = await upload(client, auth, b"\x00" * 60_000)

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert await media_rows(database) == (0, 0)
    assert stored_files(settings.data_dir) == []


async def test_a_missing_file_field_is_a_validation_error(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/media", files={"picture": ("a.png", png(), "image/png")}, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


@pytest.mark.parametrize(
    "folder", ["/leading", "trailing/", "a//b", "semi;colon", "../up", "a/.", "x" * 256]
)
async def test_a_malformed_folder_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, folder: str
) -> None:
    response = await upload(client, auth, png(), folder=folder)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "folder"]
    assert await media_rows(database) == (0, 0)


async def test_viewers_cannot_upload(client: httpx.AsyncClient, make_key: MakeKey) -> None:
    viewer = {"Authorization": f"Bearer {await make_key(role=Role.VIEWER)}"}
    response = await upload(client, viewer, png())
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"


async def test_uploads_need_an_api_key(client: httpx.AsyncClient) -> None:
    response = await upload(client, {}, png())
    assert response.status_code == 401


async def test_an_idempotent_retry_returns_the_same_media(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    headers = {**auth, "Idempotency-Key": "upload-1"}
    first = await uploaded(client, headers, png())
    again = await upload(client, headers, png())
    other = await upload(client, headers, png(32, 32))

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 409
    assert await media_rows(database) == (1, 0)

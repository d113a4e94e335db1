"""Shared steps of the media tests: uploading, downloading, and proving nothing was left."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from sqlalchemy import func, select

from runflow.db.engine import Database
from runflow.media.models import Media, MediaUpload
from runflow.models_builtin.img2video import _mp4, _webp
from tests.models_builtin.synthetic import encode, gradient, quiet_context


def png(width: int = 64, height: int = 48) -> bytes:
    return encode(gradient(width, height))


def noise_png(width: int, height: int, seed: int = 0) -> bytes:
    """Incompressible pixels: the PNG is about width × height × 3 bytes."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return encode(pixels)


def mp4(frames: int = 12, fps: int = 12) -> bytes:
    return _mp4(quiet_context(), _moving(frames), fps)


def animated_webp(frames: int = 6, fps: int = 6) -> bytes:
    return _webp(_moving(frames), fps)


def _moving(frames: int) -> Any:
    base = gradient(64, 48)
    return np.stack([np.roll(base, shift * 4, axis=1) for shift in range(frames)])


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
# As vector editors save it: a comment before the root element.
SVG_AFTER_COMMENT = b"<!-- Generator: Adobe Illustrator 27.0 -->\n" + SVG.split(b"\n", 1)[1]


async def upload(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    data: bytes,
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
    folder: str | None = None,
) -> httpx.Response:
    form = {"folder": folder} if folder is not None else None
    return await client.post(
        "/v1/media", files={"file": (filename, data, content_type)}, data=form, headers=auth
    )


async def uploaded(
    client: httpx.AsyncClient, auth: dict[str, str], data: bytes, **options: Any
) -> dict[str, Any]:
    response = await upload(client, auth, data, **options)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def local_path(url: str) -> str:
    """A signed URL as a path for the ASGI client (the public base is not this host)."""
    parsed = httpx.URL(url)
    return f"{parsed.path}?{parsed.query.decode()}"


async def download(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET a signed URL with no credentials at all."""
    return await client.get(local_path(url))


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        size: tuple[int, int] = image.size
        return size


async def media_rows(database: Database) -> tuple[int, int]:
    """(media objects, pending uploads) in the database."""
    async with database.transaction(write=False) as session:
        media = await session.scalar(select(func.count()).select_from(Media))
        uploads = await session.scalar(select(func.count()).select_from(MediaUpload))
    return int(media or 0), int(uploads or 0)


def stored_files(data_dir: Path) -> list[Path]:
    """Every file under the media storage and its staging area."""
    return sorted(
        path
        for folder in (data_dir / "media", data_dir / "media-staging")
        if folder.exists()
        for path in folder.rglob("*")
        if path.is_file()
    )

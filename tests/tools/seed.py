"""Real objects of every kind, made over HTTP through the public API, so that tools which
only know the OpenAPI document reach past `404` into each operation's real work."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import httpx
from PIL import Image

SEED_DEADLINE_S = 60.0


@dataclass(frozen=True)
class Seeded:
    batch_id: str
    run_id: str
    media_id: str
    upload_id: str
    # The query of a signed download URL of the media, and of a second upload's signed
    # `upload_url`: those endpoints take a signature, not an API key.
    download_query: dict[str, str]
    upload_query: dict[str, str]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 60, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def seed(http: httpx.Client, callback_url: str) -> Seeded:
    """A finished batch with a callback delivery, a run, a media file and a pending upload."""
    batch = http.post(
        "/v1/models/runflow/echo/batches",
        json={"input": [{"message": "seed", "client_ref": "a"}], "callback_url": callback_url},
    )
    run = http.post("/v1/models/runflow/echo/runs", json={"input": {"message": "seed"}})
    media = http.post("/v1/media", files={"file": ("seed.png", png_bytes(), "image/png")})
    upload = http.post("/v1/media/uploads", json={"folder": "seed"})
    target = http.post("/v1/media/uploads", json={"folder": "seed"})
    for response in (batch, run, media, upload, target):
        assert response.status_code == 201, response.text
    seeded = Seeded(
        batch.json()["id"],
        run.json()["id"],
        media.json()["id"],
        upload.json()["id"],
        download_query=dict(httpx.URL(media.json()["url"]).params),
        upload_query=dict(httpx.URL(target.json()["upload_url"]).params)
        | {"id": target.json()["id"]},
    )
    deadline = time.monotonic() + SEED_DEADLINE_S
    while http.get(f"/v1/batches/{seeded.batch_id}").json()["status_code"] != "succeeded":
        assert time.monotonic() < deadline, "the seeded batch did not finish"
        time.sleep(0.05)
    return seeded

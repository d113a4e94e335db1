"""Evaluations from the dashboard, in process with the engine running: evaluate an uploaded
image or a media id, read the verdict as it arrives, and bad input shown next to its field with
nothing written."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from runflow.db.engine import Database
from runflow.media.models import Media
from runflow.runs.models import Run
from tests.conftest import MakeKey, RowCounts
from tests.dashboard.helpers import page_token, sign_in
from tests.engine.polling import eventually
from tests.media.helpers import noise_png, png

pytestmark = pytest.mark.engine(worker_concurrency=4)
EVALUATION_PAGE = re.compile(r"^/dashboard/evaluations/([0-9a-f-]{36})$")


async def _verdict(client: httpx.AsyncClient, location: str) -> str:
    """The verdict fragment once the evaluation has ended (it stops polling then)."""

    async def ended() -> str | None:
        part = await client.get(location, params={"part": "verdict"})
        assert part.status_code == 200
        return None if "hx-trigger" in part.text else part.text

    verdict: str = await eventually(ended, timeout_s=60)
    return verdict


async def test_evaluate_an_uploaded_image_and_read_its_verdict(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/evaluations")
    created = await client.post(
        "/dashboard/evaluations",
        data={"csrf_token": token, "prompt": "static on a screen", "min_score": "0.9"},
        files={"image_file": ("noise.png", noise_png(256, 256), "image/png")},
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    found = EVALUATION_PAGE.match(location)
    assert found is not None, location

    page = await client.get(location)
    assert page.status_code == 200
    assert "static on a screen" in page.text
    verdict = await _verdict(client, location)
    evaluation = (await client.get(f"/v1/evaluations/{found.group(1)}", headers=auth)).json()
    assert evaluation["status_code"] == "succeeded"
    assert evaluation["criteria"]["min_score"] == 0.9
    assert "did not pass" in verdict  # pure noise: NOISY, and far below 0.9
    assert '<span class="tag">NOISY</span>' in verdict
    assert "sharpness" in verdict  # the measurements
    listing = await client.get("/dashboard/evaluations")
    assert f"/dashboard/evaluations/{found.group(1)}" in listing.text


async def test_evaluate_a_media_id(
    client: httpx.AsyncClient, api_key: str, auth: dict[str, str]
) -> None:
    media = await client.post(
        "/v1/media", files={"file": ("g.png", png(256, 256), "image/png")}, headers=auth
    )
    assert media.status_code == 201, media.text
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/evaluations")
    created = await client.post(
        "/dashboard/evaluations", data={"csrf_token": token, "image": media.json()["id"]}
    )
    assert created.status_code == 303, created.text
    verdict = await _verdict(client, created.headers["location"])
    assert "score" in verdict

    # A media id that is not the org's is refused next to the field, as the API refuses it.
    missing = await client.post(
        "/dashboard/evaluations",
        data={"csrf_token": token, "image": "01234567-89ab-7def-8123-456789abcdef"},
    )
    assert missing.status_code == 422, missing.text
    assert 'id="image-error"' in missing.text
    assert "does not exist" in missing.text


async def _rows(database: Database) -> tuple[int, int]:
    async with database.transaction(write=False) as session:
        runs = await session.scalar(select(func.count()).select_from(Run))
        media = await session.scalar(select(func.count()).select_from(Media))
        return int(runs or 0), int(media or 0)


async def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(
    client: httpx.AsyncClient, api_key: str, database: Database, row_counts: RowCounts
) -> None:
    await sign_in(client, api_key)
    token = await page_token(client, "/dashboard/evaluations")
    before, rows_before = await _rows(database), await row_counts()

    no_image = await client.post("/dashboard/evaluations", data={"csrf_token": token})
    not_an_image = await client.post(
        "/dashboard/evaluations",
        data={"csrf_token": token},
        files={"image_file": ("notes.txt", b"just some text", "text/plain")},
    )
    score_too_high = await client.post(
        "/dashboard/evaluations",
        data={"csrf_token": token, "image": "https://example.com/a.png", "min_score": "2"},
    )
    not_a_number = await client.post(
        "/dashboard/evaluations",
        data={"csrf_token": token, "image": "https://example.com/a.png", "min_score": "high"},
    )
    forged = await client.post(
        "/dashboard/evaluations",
        data={"csrf_token": "forged"},
        files={"image_file": ("a.png", png(), "image/png")},
    )

    for refused in (no_image, not_an_image):
        assert refused.status_code == 422, refused.text
        assert 'id="image-error"' in refused.text
    assert score_too_high.status_code == 422
    assert 'id="min-score-error"' in score_too_high.text
    assert 'value="2"' in score_too_high.text  # what was typed stays
    assert not_a_number.status_code == 422
    assert 'id="min-score-error"' in not_a_number.text
    assert forged.status_code == 403
    assert await _rows(database) == before
    assert await row_counts() == rows_before


async def test_a_viewer_reads_evaluations_but_has_no_form(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    viewer = await make_key(role="viewer", email="viewer@acme.test")
    await sign_in(client, viewer)
    page = await client.get("/dashboard/evaluations")
    assert page.status_code == 200
    assert "Evaluate an image" not in page.text

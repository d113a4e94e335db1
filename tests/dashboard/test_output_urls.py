"""Pictures of older runs stay visible: the dashboard signs output URLs anew.

A run's output keeps the media URL signed when the run ended, valid for
`RUNFLOW_MEDIA_URL_TTL_S`; the batch and run pages show the org's media through fresh ones.
"""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from runflow.config import Settings
from runflow.media.signing import DOWNLOAD
from tests.dashboard.helpers import sign_in
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.media.helpers import local_path

pytestmark = pytest.mark.engine(worker_concurrency=2)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"media_url_ttl_s": 1})


def _shown_urls(page: str, media_id: str) -> list[str]:
    return [
        html.unescape(url)
        for url in re.findall(r'src="([^"]+)"', page)
        if f"/v1/media/{media_id}/content" in url
    ]


async def test_expired_output_urls_are_shown_signed_anew(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], api_key: str
) -> None:
    item = {"prompt": "a red fox", "width": 64, "height": 64, "steps": 1}
    created = await create_batch(client, auth, [item], model="runflow/txt2img")
    await terminal_batch(client, auth, created["id"])
    items = (await client.get(f"/v1/batches/{created['id']}/items", headers=auth)).json()
    (stored,) = items["items"][0]["output"]["images"]
    media_id = re.search(r"/v1/media/([0-9a-f-]{36})/content", stored).group(1)  # type: ignore[union-attr]

    async def expired() -> bool:
        return (await client.get(local_path(stored))).status_code == 403

    await eventually(expired, timeout_s=30)
    await sign_in(client, api_key)
    batch_page = (await client.get(f"/dashboard/batches/{created['id']}")).text
    run_page = (await client.get(f"/dashboard/runs/{items['items'][0]['run_id']}")).text
    signer = await app.state.media_library.signer()
    for page in (batch_page, run_page):
        (shown,) = set(_shown_urls(page, media_id))
        # Signed by this service after the stored URL expired. Its own second may be over
        # by now (the lifetime here is 1 s), so its signature is checked, not fetched.
        params = httpx.URL(shown).params
        assert int(params["expires"]) > int(httpx.URL(stored).params["expires"])
        verdict = signer.verify(
            DOWNLOAD, uuid.UUID(media_id), params["expires"], params["signature"]
        )
        assert verdict in (None, "has expired")

"""Media fixtures: a CA the fetcher trusts, an https media server, per-test media settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from runflow.config import Settings
from tests.media.server import LocalCA, MediaServer


@pytest.fixture(scope="session")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def settings(settings: Settings, local_ca: LocalCA, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings, trusting the test CA for media fetches;
    `@pytest.mark.media(media_max_bytes=…)` changes media settings for one test."""
    marker = request.node.get_closest_marker("media")
    overrides = dict(marker.kwargs) if marker is not None else {}
    return settings.model_copy(update={"media_fetch_ca_bundle": local_ca.ca_path, **overrides})


@pytest.fixture
async def media_server(local_ca: LocalCA) -> AsyncIterator[MediaServer]:
    server = MediaServer(local_ca)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

"""The fetcher vets every hop with the SSRF guard, IPv4 inside IPv6 included (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runflow.kit.egress import EgressGuard
from runflow.media.fetch import FetchFailed, MediaFetcher
from tests.media.server import LocalCA, MediaServer


@pytest.fixture
async def fetcher(local_ca: LocalCA, tmp_path: Path) -> AsyncIterator[MediaFetcher]:
    """Loopback opened, as in the test settings: the media server listens there."""
    media = MediaFetcher(
        EgressGuard(["127.0.0.0/8"]),
        timeout_s=5,
        max_bytes=100_000,
        max_redirects=3,
        staging_dir=tmp_path,
        ca_bundle=local_ca.ca_path,
    )
    try:
        yield media
    finally:
        await media.aclose()


@pytest.mark.parametrize(
    "location",
    [
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "https://[2002:a9fe:a9fe::]/latest/meta-data/",
        "https://[::169.254.169.254]/latest/meta-data/",
        "https://[64:ff9b:1:a9fe:a9:fe00::]/latest/meta-data/",
    ],
)
async def test_a_redirect_to_metadata_inside_ipv6_is_refused_at_that_hop(
    fetcher: MediaFetcher, media_server: MediaServer, location: str
) -> None:
    url = media_server.redirect("/moved", location)

    with pytest.raises(FetchFailed, match="private, loopback, link-local or metadata"):
        async with fetcher.fetch(url):
            pass

    assert media_server.requests == ["/moved"]


async def test_a_url_given_as_loopback_inside_ipv6_is_refused_with_the_guard_closed(
    local_ca: LocalCA, tmp_path: Path, media_server: MediaServer
) -> None:
    closed = MediaFetcher(
        EgressGuard(),
        timeout_s=5,
        max_bytes=100_000,
        max_redirects=3,
        staging_dir=tmp_path,
        ca_bundle=local_ca.ca_path,
    )
    try:
        with pytest.raises(FetchFailed, match=r"carrying IPv4 127\.0\.0\.1"):
            async with closed.fetch(f"https://[64:ff9b::7f00:1]:{media_server.port}/a.png"):
                pass
    finally:
        await closed.aclose()
    assert media_server.requests == []

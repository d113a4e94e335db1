"""Image and video inputs given as URLs go through the SSRF guard when the batch or run is
created: a refused URL is a 422 naming its item and field, and nothing is written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.batches.helpers import assert_error, create_batch, error_locs
from tests.conftest import RowCounts
from tests.kit.wrapped_addresses import EMBEDDED_LOOPBACK, EMBEDDED_METADATA, LOCAL_USE_NAT64

UPSCALE_BATCHES = "/v1/models/runflow/upscale/batches"
UPSCALE_RUNS = "/v1/models/runflow/upscale/runs"
IMG2VIDEO_BATCHES = "/v1/models/runflow/img2video/batches"

# Literal addresses: public ones, so nothing depends on the test machine's DNS.
PUBLIC = "https://93.184.215.14/cat.png"
PUBLIC_VIA_NAT64 = "https://[64:ff9b::5db8:d70e]/cat.png"  # 93.184.215.14 inside IPv6
PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgo="

# The test settings open 127.0.0.0/8; these run with the guard fully closed.
closed = pytest.mark.engine(worker_concurrency=0, callback_allow_cidrs=())

REFUSED = [
    "https://127.0.0.1/cat.png",
    "https://10.0.0.8/cat.png",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/cat.png",
    "https://no-such-host.invalid/cat.png",
    "https://[::127.0.0.1]/cat.png",
    "https://[64:ff9b::7f00:1]/cat.png",
    "https://[64:ff9b::a9fe:a9fe]/cat.png",
    "https://[2002:7f00:1::]/cat.png",
    "https://[2001:0:808:808::80ff:fffe]/cat.png",  # Teredo, client 127.0.0.1
    "https://[64:ff9b:1::7f00:1]/cat.png",
]


def _url_of_length(length: int) -> str:
    base = f"{PUBLIC}?pad="
    return base + "a" * (length - len(base))


async def _refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    row_counts: RowCounts,
    path: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """POST `body`; assert a 422 VALIDATION_ERROR and that no row was written."""
    before = await row_counts()
    response = await client.post(path, json=body, headers=auth)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert await row_counts() == before
    return error


@closed
@pytest.mark.parametrize("url", REFUSED)
async def test_a_batch_item_with_a_refused_image_url_is_named_and_nothing_is_created(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, url: str
) -> None:
    items = [{"image": PUBLIC}, {"image": PUBLIC}, {"image": PUBLIC}, {"image": url}]

    error = await _refused(client, auth, row_counts, UPSCALE_BATCHES, {"input": items})

    assert error_locs(error) == [["body", "input", 3, "image"]]
    assert error["errors"][0]["type"] in {"address_blocked", "dns_failed"}


@closed
@pytest.mark.parametrize("url", REFUSED)
async def test_a_run_with_a_refused_image_url_is_named_and_nothing_is_created(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, url: str
) -> None:
    error = await _refused(client, auth, row_counts, UPSCALE_RUNS, {"input": {"image": url}})

    assert error_locs(error) == [["body", "input", "image"]]


async def test_metadata_inside_ipv6_is_refused_while_loopback_is_opened(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    items = [{"image": f"https://[{address}]/x.png"} for address in EMBEDDED_METADATA]
    items += [{"image": f"https://[{address}]/x.png"} for address in LOCAL_USE_NAT64]

    error = await _refused(client, auth, row_counts, UPSCALE_BATCHES, {"input": items})

    assert error_locs(error) == [["body", "input", index, "image"] for index in range(len(items))]


async def test_loopback_inside_ipv6_is_accepted_when_loopback_is_opened(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """The operator opened 127.0.0.0/8: the wrapping does not change the verdict."""
    items = [{"image": f"https://[{address}]/x.png"} for address in EMBEDDED_LOOPBACK]

    created = await create_batch(client, auth, items, path=UPSCALE_BATCHES)

    assert created["items_total"] == len(EMBEDDED_LOOPBACK)


async def test_every_refused_url_is_reported_with_the_callback_url_in_one_response(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    items = [
        {"image": PUBLIC},
        {"image": "https://10.1.2.3/a.png"},
        {"image": PUBLIC_VIA_NAT64},
        {"image": "https://10.1.2.3/b.png"},  # the same host again
        {"image": "https://[64:ff9b::a9fe:a9fe]/c.png"},
    ]
    body = {"input": items, "callback_url": "http://169.254.169.254/hook"}

    error = await _refused(client, auth, row_counts, UPSCALE_BATCHES, body)

    assert error_locs(error) == [
        ["body", "input", 1, "image"],
        ["body", "input", 3, "image"],
        ["body", "input", 4, "image"],
        ["body", "callback_url"],
    ]


async def test_a_hundred_items_on_one_refused_host_are_each_named(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    items = [{"image": f"https://10.9.8.7/{index}.png"} for index in range(100)]

    error = await _refused(client, auth, row_counts, UPSCALE_BATCHES, {"input": items})

    assert error_locs(error) == [["body", "input", index, "image"] for index in range(100)]


async def test_a_video_model_image_url_is_vetted_too(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    body = {"input": [{"image": "https://[2002:a9fe:a9fe::]/still.png"}]}

    error = await _refused(client, auth, row_counts, IMG2VIDEO_BATCHES, body)

    assert error_locs(error) == [["body", "input", 0, "image"]]


async def test_an_image_url_of_2049_characters_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    items = [{"image": PUBLIC}, {"image": _url_of_length(2049)}]

    batch = await _refused(client, auth, row_counts, UPSCALE_BATCHES, {"input": items})
    run = await _refused(
        client, auth, row_counts, UPSCALE_RUNS, {"input": {"image": _url_of_length(2049)}}
    )

    assert error_locs(batch) == [["body", "input", 1, "image"]]
    assert error_locs(run) == [["body", "input", "image"]]
    assert batch["errors"][0]["msg"] == "must be at most 2048 characters long"


@closed
async def test_public_urls_media_ids_and_data_uris_are_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    items = [
        {"image": PUBLIC},
        {"image": PUBLIC_VIA_NAT64},
        {"image": _url_of_length(2048)},
        {"image": "0190a8c4-0000-7000-8000-000000000000"},  # checked when dispatched
        {"image": PNG_DATA_URI},
    ]

    created = await create_batch(client, auth, items, path=UPSCALE_BATCHES)
    response = await client.post(UPSCALE_RUNS, json={"input": {"image": PUBLIC}}, headers=auth)

    assert created["items_total"] == len(items)
    assert response.status_code == 201, response.text


@closed
async def test_a_string_input_that_looks_like_a_url_is_not_vetted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Only media inputs are fetched: echo's `message` is text, whatever it says."""
    await create_batch(client, auth, [{"message": "https://169.254.169.254/"}])

"""Every bad create request is refused with the contract's envelope and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.batches.helpers import (
    ECHO,
    TXT2IMG,
    assert_error,
    create_batch,
    error_locs,
    post_batch,
)
from tests.conftest import RowCounts

NOTHING_WRITTEN = {
    "batches": 0,
    "batch_items": 0,
    "runs": 0,
    "idempotency_keys": 0,
    "callback_deliveries": 0,
}


async def _rejected(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    row_counts: RowCounts,
    body: dict[str, Any],
    *,
    status: int = 422,
    code: str = "VALIDATION_ERROR",
    path: str = ECHO,
) -> dict[str, Any]:
    """POST `body`; assert it is refused as `status`/`code` and that no row was written."""
    before = await row_counts()
    response = await client.post(path, json=body, headers=auth)
    error = assert_error(response, status, code)
    assert await row_counts() == before
    return error


# --- the `input` array --------------------------------------------------------------------


async def test_zero_items_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": []})

    assert ["body", "input"] in error_locs(error)


async def test_101_items_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{} for _ in range(101)]})

    assert ["body", "input"] in error_locs(error)


@pytest.mark.parametrize(
    "item", [5, "x", [], None, True], ids=["int", "str", "list", "null", "bool"]
)
async def test_non_object_item_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, item: Any
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{}, item]})

    assert any(loc[:3] == ["body", "input", 1] for loc in error_locs(error)), error


async def test_missing_input_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"metadata": {}})

    assert ["body", "input"] in error_locs(error)


@pytest.mark.parametrize("value", [{}, "abc", 3, None], ids=["object", "str", "int", "null"])
async def test_input_that_is_not_a_list_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, value: Any
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": value})

    assert any(loc[:2] == ["body", "input"] for loc in error_locs(error)), error


async def test_body_that_is_not_an_object_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()

    response = await client.post(ECHO, json=[{"message": "x"}], headers=auth)

    assert_error(response, 422, "VALIDATION_ERROR")
    assert await row_counts() == before


# --- each item against the model's input declarations -------------------------------------


async def test_unknown_input_name_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{"mesage": "typo"}]})

    assert error_locs(error) == [["body", "input", 0, "mesage"]]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("delay_ms", "5"),
        ("delay_ms", True),
        ("delay_ms", 1.5),
        ("fail", "yes"),
        ("fail", 1),
        ("message", 3),
        ("message", {"text": "x"}),
    ],
    ids=[
        "delay_ms-string",
        "delay_ms-boolean",
        "delay_ms-float",
        "fail-string",
        "fail-integer",
        "message-integer",
        "message-object",
    ],
)
async def test_mistyped_input_is_rejected(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    row_counts: RowCounts,
    name: str,
    value: Any,
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{name: value}]})

    assert error_locs(error) == [["body", "input", 0, name]]


@pytest.mark.parametrize("delay_ms", [-1, 600001])
async def test_echo_delay_outside_its_range_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, delay_ms: int
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{"delay_ms": delay_ms}]})

    assert error_locs(error) == [["body", "input", 0, "delay_ms"]]


@pytest.mark.parametrize("delay_ms", [0, 600000])
async def test_echo_delay_at_its_range_bounds_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str], delay_ms: int
) -> None:
    await create_batch(client, auth, [{"delay_ms": delay_ms}])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("width", 63),
        ("width", 56),
        ("width", 100),
        ("width", 2056),
        ("height", 100),
        ("steps", 0),
        ("steps", 101),
        ("prompt", ""),
        ("prompt", "p" * 2001),
        ("output_format", "gif"),
        ("seed", -1),
    ],
    ids=[
        "width-63",
        "width-56-below-min",
        "width-100-not-multiple-of-8",
        "width-2056-above-max",
        "height-100-not-multiple-of-8",
        "steps-0",
        "steps-101",
        "prompt-empty",
        "prompt-2001-chars",
        "output_format-gif",
        "seed-negative",
    ],
)
async def test_txt2img_value_outside_its_validator_is_rejected(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    row_counts: RowCounts,
    name: str,
    value: Any,
) -> None:
    item = {"prompt": "a lighthouse", name: value}

    error = await _rejected(client, auth, row_counts, {"input": [item]}, path=TXT2IMG)

    assert error_locs(error) == [["body", "input", 0, name]]


async def test_txt2img_values_at_their_bounds_are_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await create_batch(
        client,
        auth,
        [
            {"prompt": "p", "width": 64, "height": 2048, "steps": 1, "output_format": "webp"},
            {"prompt": "p" * 2000, "width": 2048, "height": 64, "steps": 100},
        ],
        path=TXT2IMG,
    )


async def test_missing_required_input_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{"width": 512}]}, path=TXT2IMG)

    assert error_locs(error) == [["body", "input", 0, "prompt"]]


async def test_several_bad_items_are_all_reported_in_one_response(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    items: list[Any] = [
        {"message": "fine"},
        {"delay_ms": -1},
        {},
        {"fail": "yes"},
        {"nope": 1},
        {"client_ref": "r" * 256},
        {"message": "also fine"},
    ]

    error = await _rejected(client, auth, row_counts, {"input": items})

    locs = error_locs(error)
    assert all(loc[:2] == ["body", "input"] for loc in locs), locs
    assert {loc[2] for loc in locs} == {1, 3, 4, 5}
    assert ["body", "input", 1, "delay_ms"] in locs
    assert ["body", "input", 3, "fail"] in locs
    assert ["body", "input", 4, "nope"] in locs
    assert ["body", "input", 5, "client_ref"] in locs


async def test_every_problem_of_one_item_is_reported(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    item = {"width": 63, "steps": 0, "output_format": "gif"}

    error = await _rejected(client, auth, row_counts, {"input": [item]}, path=TXT2IMG)

    assert sorted(loc[3] for loc in error_locs(error)) == [
        "output_format",
        "prompt",
        "steps",
        "width",
    ]


# --- client_ref ---------------------------------------------------------------------------


async def test_client_ref_of_256_characters_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{"client_ref": "r" * 256}]})

    assert error_locs(error) == [["body", "input", 0, "client_ref"]]


async def test_client_ref_of_255_characters_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"client_ref": "r" * 255}])

    assert created["items"][0]["client_ref"] == "r" * 255


@pytest.mark.parametrize(
    "client_ref", [7, ["a"], {"a": 1}, True], ids=["int", "list", "obj", "bool"]
)
async def test_non_string_client_ref_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, client_ref: Any
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{"client_ref": client_ref}]})

    assert error_locs(error) == [["body", "input", 0, "client_ref"]]


# --- callback_url and the top level -------------------------------------------------------


def _url_of_length(length: int) -> str:
    base = "http://127.0.0.1:9/hook/"
    return base + "a" * (length - len(base))


async def test_callback_url_of_2049_characters_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    body = {"input": [{}], "callback_url": _url_of_length(2049)}

    error = await _rejected(client, auth, row_counts, body)

    assert error_locs(error) == [["body", "callback_url"]]


async def test_callback_url_of_2048_characters_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    url = _url_of_length(2048)

    created = await create_batch(client, auth, [{}], callback_url=url)

    assert created["callback_url"] == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "https:///no-host",
        "http://",
        "/relative/hook",
        "example.com/hook",
        "javascript:alert(1)",
    ],
    ids=["ftp", "https-without-host", "http-without-host", "relative", "no-scheme", "javascript"],
)
async def test_callback_url_that_is_not_absolute_http_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, url: str
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{}], "callback_url": url})

    assert error_locs(error) == [["body", "callback_url"]]


async def test_unknown_top_level_field_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{}], "webhook": "x"})

    assert error_locs(error) == [["body", "webhook"]]


async def test_metadata_that_is_not_an_object_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    error = await _rejected(client, auth, row_counts, {"input": [{}], "metadata": ["a"]})

    assert any(loc[:2] == ["body", "metadata"] for loc in error_locs(error)), error


# --- the target model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/v1/models/runflow/no-such-model/batches", "/v1/models/nobody/echo/batches"],
    ids=["unknown-model", "unknown-owner"],
)
async def test_unknown_model_or_owner_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, path: str
) -> None:
    await _rejected(
        client, auth, row_counts, {"input": [{}]}, status=404, code="NOT_FOUND", path=path
    )


# --- the HTTP request itself --------------------------------------------------------------


async def test_malformed_json_body_is_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()

    response = await client.post(
        ECHO,
        content=b'{"input": [{"message": "x"}',
        headers=auth | {"Content-Type": "application/json"},
    )

    assert_error(response, 400, "BAD_REQUEST")
    assert await row_counts() == before


async def test_text_plain_body_is_unsupported_media_type(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()

    response = await client.post(
        ECHO,
        content=json.dumps({"input": [{}]}).encode(),
        headers=auth | {"Content-Type": "text/plain"},
    )

    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert await row_counts() == before


async def test_body_over_the_size_cap_is_payload_too_large(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()
    message = "x" * (17 * 1024 * 1024)

    response = await client.post(
        ECHO,
        content=json.dumps({"input": [{"message": message}]}).encode(),
        headers=auth | {"Content-Type": "application/json"},
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert await row_counts() == before


@pytest.mark.parametrize("key", ["", " ", "k" * 256], ids=["empty", "blank", "256-chars"])
async def test_bad_idempotency_key_is_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, key: str
) -> None:
    before = await row_counts()

    response = await post_batch(client, auth, [{}], headers={"Idempotency-Key": key})

    error = assert_error(response, 400, "BAD_REQUEST")
    assert ["header", "Idempotency-Key"] in error_locs(error)
    assert await row_counts() == before


async def test_idempotency_key_of_255_characters_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await post_batch(client, auth, [{}], headers={"Idempotency-Key": "k" * 255})

    assert response.status_code == 201, response.text


async def test_rejections_leave_the_database_empty(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    await post_batch(client, auth, [{"delay_ms": -1}])
    await post_batch(client, auth, [{}], path="/v1/models/runflow/nope/batches")
    await post_batch(client, auth, [{}], headers={"Idempotency-Key": "k" * 256})

    assert await row_counts() == NOTHING_WRITTEN


# --- JSON the databases cannot store: refused alike on SQLite and PostgreSQL ----------------


async def _raw_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, raw: bytes
) -> httpx.Response:
    """POST raw JSON bytes; a client error (never a 500, never a 201) that wrote nothing."""
    before = await row_counts()
    response = await client.post(
        ECHO, content=raw, headers=auth | {"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    expected_code = "BAD_REQUEST" if response.status_code == 400 else "VALIDATION_ERROR"
    assert_error(response, response.status_code, expected_code)
    assert await row_counts() == before
    return response


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-2.5e999"])
async def test_non_finite_number_in_metadata_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, literal: str
) -> None:
    raw = b'{"input": [{}], "metadata": {"score": ' + literal.encode() + b"}}"

    await _raw_rejected(client, auth, row_counts, raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"input": [{"message": "a\\u0000b"}]}',
        b'{"input": [{"client_ref": "ref\\u0000"}]}',
        b'{"input": [{}], "metadata": {"note": "a\\u0000"}}',
        b'{"input": [{}], "metadata": {"k\\u0000": 1}}',
        b'{"input": [{}], "callback_url": "https://example.com/\\u0000"}',
    ],
    ids=["message", "client_ref", "metadata-value", "metadata-key", "callback_url"],
)
async def test_nul_character_in_a_string_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts, raw: bytes
) -> None:
    await _raw_rejected(client, auth, row_counts, raw)


async def test_lone_surrogate_in_a_string_is_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    await _raw_rejected(client, auth, row_counts, b'{"input": [{"message": "\\ud800"}]}')

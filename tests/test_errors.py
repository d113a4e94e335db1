"""Every failure the API can produce uses the one envelope `{code, message, errors}` (DESIGN §4)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runflow.config import Settings

ECHO_BATCHES = "/v1/models/runflow/echo/batches"
JSON_HEADERS = {"Content-Type": "application/json"}

RowCounts = Callable[[], Awaitable[dict[str, int]]]


def envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The body of an error response, checked to be exactly the envelope with this code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["errors"] is None or isinstance(body["errors"], list)
    return body


async def chunks(total: int, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    """A streamed body of `total` bytes: httpx sends it chunked, without Content-Length."""
    sent = 0
    while sent < total:
        size = min(chunk_size, total - sent)
        sent += size
        yield b" " * size


async def test_unknown_route_is_404_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/no-such-thing")
    envelope(response, 404, "NOT_FOUND")


async def test_unknown_route_outside_v1_is_404_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post("/definitely/not/here", json={})
    envelope(response, 404, "NOT_FOUND")


async def test_wrong_method_is_405_method_not_allowed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.delete("/v1/batches", headers=auth)
    envelope(response, 405, "METHOD_NOT_ALLOWED")


async def test_wrong_method_names_the_allowed_methods(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.delete("/v1/batches", headers=auth)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_400_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        ECHO_BATCHES, content=b'{"input": [{"message": ', headers=auth | JSON_HEADERS
    )
    envelope(response, 400, "BAD_REQUEST")


async def test_malformed_json_creates_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()
    await client.post(ECHO_BATCHES, content=b"{not json", headers=auth | JSON_HEADERS)
    assert await row_counts() == before


async def test_non_standard_json_constant_nan_is_400_bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # NaN is not JSON (RFC 8259); Python's parser accepts it unless told not to.
    body = b'{"input": [{"message": "x"}], "metadata": {"score": NaN}}'
    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)
    envelope(response, 400, "BAD_REQUEST")


async def test_path_parameter_of_wrong_type_is_422_validation_error_with_loc_and_msg(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/batches/not-a-uuid", headers=auth)
    body = envelope(response, 422, "VALIDATION_ERROR")
    assert body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str)
        assert error["msg"]
    assert ["path", "id"] in [error["loc"] for error in body["errors"]]


async def test_query_parameter_out_of_range_is_422_validation_error(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/batches", params={"limit": 0}, headers=auth)
    body = envelope(response, 422, "VALIDATION_ERROR")
    assert [error["loc"] for error in body["errors"]] == [["query", "limit"]]


async def test_body_schema_violation_is_422_validation_error_with_body_loc(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(ECHO_BATCHES, json={"input": []}, headers=auth)
    body = envelope(response, 422, "VALIDATION_ERROR")
    assert ["body", "input"] in [error["loc"] for error in body["errors"]]


async def test_body_over_the_cap_with_content_length_is_413_payload_too_large(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, row_counts: RowCounts
) -> None:
    before = await row_counts()
    body = b" " * (settings.max_body_bytes + 1)
    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)
    assert "content-length" in response.request.headers
    envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert await row_counts() == before


async def test_streamed_body_over_the_cap_without_content_length_is_413_payload_too_large(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, row_counts: RowCounts
) -> None:
    before = await row_counts()
    response = await client.post(
        ECHO_BATCHES,
        content=chunks(settings.max_body_bytes + 1),
        headers=auth | JSON_HEADERS,
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert await row_counts() == before


async def test_streamed_body_exactly_at_the_cap_is_not_refused_as_too_large(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    # Whitespace only: it reaches the JSON parser, which finds no document in it.
    response = await client.post(
        ECHO_BATCHES, content=chunks(settings.max_body_bytes), headers=auth | JSON_HEADERS
    )
    envelope(response, 400, "BAD_REQUEST")


async def test_unhandled_exception_is_500_internal_error_without_leaking_internals(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail")

    response = await client.get("/boom")
    envelope(response, 500, "INTERNAL_ERROR")
    assert "secret detail" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text


async def test_unhandled_exception_response_carries_the_request_id(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/boom-with-id")
    async def boom() -> None:
        raise RuntimeError("secret detail")

    response = await client.get("/boom-with-id", headers={"X-Request-Id": "req-500"})
    envelope(response, 500, "INTERNAL_ERROR")
    assert response.headers["x-request-id"] == "req-500"


async def test_request_id_sent_by_the_client_is_echoed_back(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/status/health", headers={"X-Request-Id": "req-abc-123"})
    assert response.headers["x-request-id"] == "req-abc-123"


async def test_request_id_is_generated_when_the_client_sends_none(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/v1/status/health")
    second = await client.get("/v1/status/health")
    uuid.UUID(first.headers["x-request-id"])
    uuid.UUID(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_request_id_is_returned_on_error_responses_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/no-such-thing", headers={"X-Request-Id": "req-err-1"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-err-1"


async def test_a_405_names_every_method_of_a_path_served_by_several_routes(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media_path = f"/v1/media/{uuid.uuid4()}"
    response = await client.options(media_path, headers=auth)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_a_static_segment_is_never_taken_for_an_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.patch("/v1/media/uploads", headers=auth, json={"folder": "x"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


# --- where a JSON body is refused ----------------------------------------------------------
# `errors[0].loc` is `["body", offset]`: the offset in characters (code points) of the decoded
# body, from 0, as Python's JSON parser counts; the message repeats it with line and column.

MARK = "▸"  # marks, in a case, where the problem is; removed before sending


def located(case: str) -> tuple[bytes, int]:
    """The body of a case and the character offset its mark stood at."""
    assert case.count(MARK) == 1
    return case.replace(MARK, "").encode(), case.index(MARK)


def refused_at(response: httpx.Response, position: int) -> dict[str, Any]:
    """The 400 of an unreadable body, pointing at `position`; its one error."""
    body = envelope(response, 400, "BAD_REQUEST")
    [error] = body["errors"]
    assert isinstance(error, dict)
    assert error["loc"] == ["body", position], body
    assert error["type"] == "json_invalid"
    assert f"at character {position} " in body["message"]
    assert error["msg"] in body["message"]
    return error


@pytest.mark.parametrize(
    "case",
    [
        r'{"input":[{"message":"a\nb' + MARK + r'\u0000c"}]}',
        r'{"input":[{"message":"\ud83d\ude00 \t ' + MARK + r'\u0000"}]}',
        r'{"input":[{"message":"\\u0000 is text, ' + MARK + r'\u0000 is not"}]}',
        r'{"input":[{}],"metadata":{"note":"\"","k' + MARK + r'\u0000":1}}',
        r'{"input":[{}],"metadata":{"a":{"b":["x",{"c":"\/' + MARK + r'\u0000"}]}}}',
        r'{"input":[{"message":"' + MARK + r'\u0000"}],"metadata":{"later":"\u0000"}}',
    ],
    ids=[
        "after-other-escapes",
        "after-a-surrogate-pair",
        "after-escaped-backslash-text",
        "in-a-key",
        "in-a-nested-value",
        "first-of-two",
    ],
)
async def test_nul_escape_is_reported_as_a_nul_where_it_stands(
    client: httpx.AsyncClient, auth: dict[str, str], case: str
) -> None:
    body, position = located(case)
    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    error = refused_at(response, position)
    assert "NUL character" in error["msg"]
    assert "\\u0000" in error["msg"]


@pytest.mark.parametrize(
    "case",
    [
        '{"input":[{"message":"a' + MARK + '\x00b"}]}',
        '{"input":[{}],"metadata":{"k' + MARK + '\x00":1}}',
        '{"input":[{}]}' + MARK + "\x00",
    ],
    ids=["in-a-value", "in-a-key", "after-the-document"],
)
async def test_raw_nul_byte_is_reported_as_a_nul_where_it_stands(
    client: httpx.AsyncClient, auth: dict[str, str], case: str
) -> None:
    body, position = located(case)
    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    error = refused_at(response, position)
    assert "NUL character" in error["msg"]
    assert "raw 0x00 byte" in error["msg"]


@pytest.mark.parametrize(
    "case",
    [
        '{"input":[{"message":"é€😀' + MARK + r'\u0000"}]}',
        '{"input":[{"message":"é€😀' + MARK + '\x00"}]}',
        '{"input":[{"message":"日本語"}],"metadata":{"x":' + MARK + "NaN}}",
    ],
    ids=["nul-escape", "raw-nul", "nan"],
)
async def test_positions_count_characters_not_bytes(
    client: httpx.AsyncClient, auth: dict[str, str], case: str
) -> None:
    body, position = located(case)
    byte_offset = len(case[: case.index(MARK)].encode())
    assert byte_offset > position

    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    refused_at(response, position)


async def test_invalid_utf8_is_located_in_characters_of_the_valid_text_before_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = '{"input":[{"message":"é'.encode() + b"\xff" + b'"}]}'

    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    error = refused_at(response, len('{"input":[{"message":"é'))
    assert "UTF-8" in error["msg"]


async def test_message_gives_line_and_column_of_a_nul_in_a_pretty_printed_body(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    case = '{\n  "input": [\n    {"message": "' + MARK + '\\u0000"}\n  ]\n}'
    body, position = located(case)

    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    refused_at(response, position)
    assert "(line 3, column 18)" in response.json()["message"]


async def test_lone_surrogate_after_a_pair_is_reported_where_it_stands(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body, position = located(r'{"input":[{"message":"\ud83d\ude00' + MARK + r'\ud800"}]}')

    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    error = refused_at(response, position)
    assert "unpaired UTF-16 surrogate" in error["msg"]


async def test_nan_is_located_at_the_constant_not_at_a_string_saying_nan(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body, position = located('{"input":[{"message":"NaN"}],"metadata":{"x":' + MARK + "NaN}}")

    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    refused_at(response, position)


async def test_escaped_backslash_before_u0000_is_text_and_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = rb'{"input":[{"message":"a\\nb\\u0000c"}]}'

    response = await client.post(ECHO_BATCHES, content=body, headers=auth | JSON_HEADERS)

    assert response.status_code == 201, response.text

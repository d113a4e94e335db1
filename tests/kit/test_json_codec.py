"""The JSON codec of the hot paths is orjson where it is exact, the standard library elsewhere."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from runflow.kit import json_codec


def test_round_trips_what_orjson_handles_alone() -> None:
    document = {"text": "naïve ☃", "n": 2**63 - 1, "x": 0.1, "list": [None, True, {"a": []}]}

    encoded = json_codec.dumps_bytes(document)

    assert json_codec.loads(encoded) == document
    assert json_codec.loads(encoded.decode()) == document
    assert encoded == json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def test_integers_beyond_64_bits_stay_exact_both_ways() -> None:
    document = {"big": 2**70, "nested": [-(2**80)], "id": uuid.UUID(int=7)}

    text = json_codec.dumps(document)
    decoded = json_codec.loads(text)

    assert decoded["big"] == 2**70
    assert type(decoded["big"]) is int
    assert decoded["nested"] == [-(2**80)]
    # Falling back keeps the forms orjson writes for the types json does not know.
    assert decoded["id"] == "00000000-0000-0000-0000-000000000007"


def test_a_20_digit_number_is_decoded_by_the_standard_library_exactly() -> None:
    assert json_codec.loads("[18446744073709551616]") == [2**64]
    assert json_codec.loads(b'{"n": 99999999999999999999}') == {"n": 10**20 - 1}


def test_keys_that_are_not_strings_are_written_as_json_writes_them() -> None:
    assert json_codec.loads(json_codec.dumps({1: "one", 2**70: "big"})) == {
        "1": "one",
        str(2**70): "big",
    }


def test_datetimes_go_to_the_default_when_asked() -> None:
    moment = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    native = json_codec.dumps_bytes({"at": moment})
    converted = json_codec.dumps_bytes(
        {"at": moment}, default=lambda value: "stored form", passthrough_datetime=True
    )

    assert native == b'{"at":"2026-12-02T08:00:00+00:00"}'
    assert converted == b'{"at":"stored form"}'

"""JSON in C (orjson) for the hot paths, exact wherever orjson and the standard library differ.

orjson encodes several times faster than `json`, but refuses integers beyond 64 bits and
decodes them as floats. A customer's metadata may hold such a number; it must come back as
it went in. So encoding falls back to `json` when orjson refuses, and decoding uses `json`
for a document with a number too long for 64 bits (rare: one regex scan decides).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import orjson

# 20 digits or more: possibly beyond 64 bits (or a float orjson would read the same way).
_LONG_NUMBER = re.compile(rb"\d{20}")
_LONG_NUMBER_TEXT = re.compile(r"\d{20}")


def dumps_bytes(
    value: Any,
    *,
    default: Callable[[Any], Any] | None = None,
    passthrough_datetime: bool = False,
) -> bytes:
    """Compact UTF-8 JSON. `default` converts what JSON has no form for; with
    `passthrough_datetime`, it converts datetimes too (orjson writes RFC 3339 otherwise)."""
    option = orjson.OPT_NON_STR_KEYS
    if passthrough_datetime:
        option |= orjson.OPT_PASSTHROUGH_DATETIME
    try:
        return orjson.dumps(value, default=default, option=option)
    except TypeError:
        text = json.dumps(
            value, default=default or _like_orjson, separators=(",", ":"), ensure_ascii=False
        )
        return text.encode()


def _like_orjson(value: Any) -> Any:
    """What orjson writes for the types it knows and `json` does not."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """`dumps_bytes` as text: SQLAlchemy's JSON columns take a string."""
    return dumps_bytes(value).decode()


def loads(document: str | bytes) -> Any:
    long_number = (
        _LONG_NUMBER.search(document)
        if isinstance(document, bytes)
        else _LONG_NUMBER_TEXT.search(document)
    )
    if long_number is not None:
        return json.loads(document)
    return orjson.loads(document)

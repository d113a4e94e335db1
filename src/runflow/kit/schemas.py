"""Pydantic building blocks shared by every domain's request and response schemas."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from runflow.kit.money import format_money

MAX_CALLBACK_URL_LENGTH = 2048
MAX_METADATA_BYTES = 16 * 1024

# JSON-Schema patterns (ECMA and Python `re` read `\u0000` alike) declaring what the server
# refuses, so that the document and the server agree: a NUL in any string of a JSON body (the
# databases cannot store it), a callback URL that is not http(s).
NO_NUL_PATTERN = r"^[^\u0000]*$"
CALLBACK_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\u0000]+$"

CallbackUrl = Annotated[
    str,
    Field(
        max_length=MAX_CALLBACK_URL_LENGTH,
        # Declared, not enforced here: `check_callback_url` gives the clearer message.
        json_schema_extra={"minLength": 1, "pattern": CALLBACK_URL_PATTERN, "format": "uri"},
        description="Where the signed callback is POSTed when the work ends; it must resolve "
        "to a public address.",
    ),
]
ClientRef = Annotated[str, Field(max_length=255, pattern=NO_NUL_PATTERN)]


def _whole_float_as_int(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A JSON integer as JSON Schema means it: `7` and `7.0` are the same number, while `true`,
# `"7"` and `7.5` are not integers (pydantic's lax mode would take the first two). Goes last
# in an `Annotated[int, Strict(), Field(…), WHOLE_FLOATS]`, after the constraints, which
# then stay in the JSON schema as `minimum`/`maximum`.
WHOLE_FLOATS = BeforeValidator(_whole_float_as_int)


def check_callback_url(value: str | None) -> str | None:
    """An absolute http(s) URL with a host; the SSRF guard checks where it points."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value)) > MAX_METADATA_BYTES:
        raise ValueError(f"must serialise to at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


MONEY_PATTERN = r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$"

MoneyString = Annotated[
    Decimal,
    PlainSerializer(format_money, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]
"""An exact amount, serialised as a plain decimal string (`"0.0125"`, never an exponent)."""


class CursorPage(BaseModel):
    """What every list returns around its `items`: cursors to the first, next and previous page
    (`previous` is followed with `from_prev=true`)."""

    first: str | None = None
    next: str | None = None
    previous: str | None = None


class Schema(BaseModel):
    """Response schemas read straight from ORM rows."""

    model_config = ConfigDict(from_attributes=True)

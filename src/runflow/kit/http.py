"""Request-level machinery shared by routers: strict JSON bodies and idempotency keys."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute

from runflow.errors import BadRequest, UnsupportedMediaType
from runflow.kit.json_text import TextProblem, first_unstorable, nul_byte, token_position

MAX_IDEMPOTENCY_KEY_LENGTH = 255


async def require_json_body(request: Request) -> None:
    """Bodies must be declared as JSON; anything else is a 415, not a confusing 422."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as application/json (got {media_type or 'no content type'})."
        )


async def _idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retry-safe key: the same key and body within 24 h return the "
            "original response; a different body is a 409.",
            # Declared for clients and schema tools; checked below, where a bad key is a 400.
            json_schema_extra={
                "minLength": 1,
                "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
                "pattern": r"\S",
            },
        ),
    ] = None,
) -> str | None:
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise BadRequest(
            f"Idempotency-Key must be 1–{MAX_IDEMPOTENCY_KEY_LENGTH} characters.",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "invalid", "type": "value"}],
        )
    return key


IdempotencyKey = Annotated[str | None, Depends(_idempotency_key)]
JsonBody = Depends(require_json_body)


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    # `1e400` parses to infinity: refused like the `Infinity` literal it would become.
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)
    return value


# Escapes that may decode to text neither database stores: NUL, and UTF-16 surrogates
# (which are only valid in pairs).
_SUSPECT_ESCAPE = re.compile(r"\\u(0000|[dD][89a-fA-F])")


def _unstorable_text(value: Any) -> str | None:
    """The first string (key or value) holding NUL or an unpaired surrogate, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable_text(key) or _unstorable_text(item)
            if found is not None:
                return found
    if isinstance(value, list):
        for item in value:
            found = _unstorable_text(item)
            if found is not None:
                return found
    return None


def _refusal(problem: TextProblem, body: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(problem.reason, body, problem.position)


class StrictJsonRequest(Request):
    """Parses bodies as RFC 8259 JSON that both databases can store, the same way on each:
    `NaN`/`Infinity`, invalid UTF-8, NUL characters and unpaired surrogates are refused (400)
    instead of being stored on one database and failing on the other. Each refusal is a
    `JSONDecodeError` whose `pos` is where the problem lies, in characters of the decoded
    body (see `runflow.kit.json_text`), and whose `msg` says what it is."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            raw = await self.body()
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                valid = raw[: exc.start].decode("utf-8")
                raise json.JSONDecodeError(
                    "the body is not valid UTF-8", valid, len(valid)
                ) from None
            try:
                parsed = json.loads(
                    body, parse_constant=_refuse_constant, parse_float=_finite_float
                )
            except json.JSONDecodeError as exc:
                if body[exc.pos : exc.pos + 1] == "\x00":
                    in_string = exc.msg.startswith("Invalid control character")
                    raise _refusal(nul_byte(exc.pos, in_string=in_string), body) from None
                raise
            except ValueError as exc:
                position = token_position(body, str(exc))
                raise json.JSONDecodeError(f"{exc} is not valid JSON", body, position) from None
            # Walking the parsed value is the quick test; reading the text again, to say
            # where, is left to the bodies refused.
            if _SUSPECT_ESCAPE.search(body) and _unstorable_text(parsed) is not None:
                problem = first_unstorable(body)
                assert problem is not None
                raise _refusal(problem, body)
            self._json = parsed
        return self._json


class StrictJsonRoute(APIRoute):
    """Route class for routers that take JSON bodies (see `StrictJsonRequest`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler

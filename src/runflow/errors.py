"""The one error envelope, `{code, message, errors}`, for every failure the API can return.

Exception tree (raise these from services and dependencies; handlers render them):

    ApiError                      500 INTERNAL_ERROR
    ├── BadRequest                400 BAD_REQUEST
    ├── Unauthorized              401 UNAUTHORIZED
    ├── InsufficientCredits       402 INSUFFICIENT_CREDITS
    ├── Forbidden                 403 PERMISSION_DENIED (or another 403 code of the contract)
    ├── NotFound                  404 NOT_FOUND
    ├── Conflict                  409 CONFLICT
    ├── PayloadTooLarge           413 PAYLOAD_TOO_LARGE
    ├── UnsupportedMediaType      415 UNSUPPORTED_MEDIA_TYPE
    └── ValidationFailed          422 VALIDATION_ERROR
"""

from __future__ import annotations

import enum
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = structlog.get_logger(__name__)


class ErrorResponse(BaseModel):
    """Standard error envelope — matches exception handler output."""

    code: str
    message: str
    errors: list[dict[str, Any]] | None = None


class ApiError(Exception):
    status_code: int = 500
    code: str = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        if code is not None:
            self.code = code

    def to_response(self) -> ErrorResponse:
        return ErrorResponse(code=self.code, message=self.message, errors=self.errors)


class BadRequest(ApiError):
    status_code = 400
    code = "BAD_REQUEST"


class Unauthorized(ApiError):
    status_code = 401
    code = "UNAUTHORIZED"


class InsufficientCredits(ApiError):
    """The org enforces credits and the work's estimate exceeds what is available."""

    status_code = 402
    code = "INSUFFICIENT_CREDITS"


class ForbiddenCode(enum.StrEnum):
    PERMISSION_DENIED = "PERMISSION_DENIED"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    ORGANIZATION_MEMBERSHIP_REQUIRED = "ORGANIZATION_MEMBERSHIP_REQUIRED"
    ROLE_UNRESOLVED = "ROLE_UNRESOLVED"
    IMPERSONATION_READ_ONLY = "IMPERSONATION_READ_ONLY"


class Forbidden(ApiError):
    status_code = 403
    code = ForbiddenCode.PERMISSION_DENIED

    def __init__(self, code: ForbiddenCode, message: str) -> None:
        super().__init__(message, code=code)


class NotFound(ApiError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(ApiError):
    status_code = 409
    code = "CONFLICT"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class ValidationFailed(ApiError):
    status_code = 422
    code = "VALIDATION_ERROR"


# Declared on every route so the OpenAPI document shows the envelope for each status.
# Creating a batch or a run: the model left its models file, or the idempotency key was used.
CREATE_ERRORS: dict[int | str, dict[str, Any]] = {
    402: {
        "model": ErrorResponse,
        "description": "`INSUFFICIENT_CREDITS`: the org enforces credits and the estimate "
        "exceeds its balance minus what running work has reserved",
    },
    409: {
        "model": ErrorResponse,
        "description": "`MODEL_UNAVAILABLE`: the model was removed from its models file; "
        "`CONFLICT`: Idempotency-Key reused with a different request",
    },
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad request"},
    401: {"model": ErrorResponse, "description": "Unauthorized"},
    403: {
        "model": ErrorResponse,
        "description": "Forbidden — inspect response body `code` for the specific reason "
        "(for example: " + ", ".join(ForbiddenCode) + ")",
    },
    404: {"model": ErrorResponse, "description": "Not found"},
    422: {"model": ErrorResponse, "description": "Validation error"},
}


def error_json(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if error.status_code == 401 and "www-authenticate" not in {name.lower() for name in headers}:
        # RFC 9110 §15.5.2: a 401 names the scheme that would authenticate the request. Set
        # here, where every error response is made, so no 401 can leave without it.
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        error.to_response().model_dump(mode="json"),
        status_code=error.status_code,
        headers=headers or None,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": _message(err), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def _message(err: dict[str, Any]) -> str:
    # FastAPI words every JSON problem "JSON decode error" and keeps the parser's own words,
    # the ones that say what is wrong (a NUL character, a missing comma...), in `ctx`.
    if err.get("type") == "json_invalid" and (reason := (err.get("ctx") or {}).get("error")):
        return str(reason)
    return str(err.get("msg", ""))


def _unreadable_json(exc: RequestValidationError, error: dict[str, Any]) -> BadRequest:
    """A 400 that says what is wrong with the body and where: `loc` is `["body", offset]`,
    the offset counted in characters of the decoded body, from 0 (`runflow.kit.json_text`)."""
    position = error["loc"][-1] if isinstance(error["loc"][-1], int) else 0
    text = exc.body if isinstance(exc.body, str) else ""
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return BadRequest(
        f"The request body cannot be read as JSON at character {position} "
        f"(line {line}, column {column}): {error['msg']}.",
        errors=[error],
    )


async def _handle_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_json(exc)


async def _handle_request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if unreadable := [err for err in errors if err["type"] == "json_invalid"]:
        return error_json(_unreadable_json(exc, unreadable[0]))
    return error_json(ValidationFailed("The request is invalid.", errors=errors))


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


async def _handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    if exc.status_code == 404:
        message = f"No route matches {request.method} {request.url.path}."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    error = ApiError(message, code=code)
    error.status_code = exc.status_code
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return error_json(error, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path. Starlette's own `Allow` names only the
    first route that matched the path, and one path is often several routes (GET, PATCH and
    DELETE on `/v1/media/{id}`); asking the router itself also sees into included routers."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # This response is sent from outside the access-log middleware, so it adds the request
    # id itself: it is what a customer quotes when reporting the error.
    request_id = getattr(request.state, "request_id", None)
    log.exception(
        "unhandled_error", method=request.method, path=request.url.path, request_id=request_id
    )
    headers = {"X-Request-Id": request_id} if request_id else None
    return error_json(ApiError("An internal error occurred."), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _handle_api_error)
    app.add_exception_handler(RequestValidationError, _handle_request_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(Exception, _handle_unexpected)

"""The SDK's exceptions. API errors mirror the service's envelope `{code, message, errors}`
and carry the request id, so a failure can be quoted to an operator as it is."""

from __future__ import annotations

from typing import Any

import httpx


class RunflowError(Exception):
    """Base of every exception this SDK raises."""


class APIError(RunflowError):
    """A request did not get a successful answer."""

    def __init__(self, message: str, request: httpx.Request | None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No answer: the server could not be reached or dropped the connection (after retries)."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout (after retries)."""


class APIStatusError(APIError):
    """The server answered with an error status; `code`, `message` and `errors` are its
    envelope's, `request_id` its `X-Request-Id`."""

    def __init__(self, response: httpx.Response, body: Any) -> None:
        envelope = body if isinstance(body, dict) else {}
        self.status_code = response.status_code
        self.code: str = str(envelope.get("code") or f"HTTP_{response.status_code}")
        self.errors: list[dict[str, Any]] | None = envelope.get("errors")
        self.request_id: str | None = response.headers.get("x-request-id")
        self.response = response
        self.body = body
        message = str(envelope.get("message") or response.reason_phrase or "error")
        super().__init__(message, response.request)

    def __str__(self) -> str:
        suffix = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.status_code} {self.code}: {self.message}{suffix}"


class BadRequestError(APIStatusError):
    """400: unreadable body, or an invalid `q`, `sort_by`, cursor or `Idempotency-Key`."""


class AuthenticationError(APIStatusError):
    """401: no key, or an unknown or revoked key."""


class InsufficientCreditsError(APIStatusError):
    """402: the organization enforces credits and the estimate exceeds what is available."""


class PermissionDeniedError(APIStatusError):
    """403: the key's role or organization does not allow this."""


class NotFoundError(APIStatusError):
    """404: no such object in this organization."""


class ConflictError(APIStatusError):
    """409: an `Idempotency-Key` reused for another request, or a state that forbids this."""


class UnprocessableEntityError(APIStatusError):
    """422: the body, path or query failed validation; `errors` lists each problem."""


class RateLimitError(APIStatusError):
    """429: too many requests (retried first, honouring `Retry-After`)."""


class InternalServerError(APIStatusError):
    """5xx: the server failed (retried first)."""


class WebhookVerificationError(RunflowError):
    """A webhook body does not match its signature, or its headers are missing or stale."""


class WaitTimeoutError(RunflowError):
    """`wait()` gave up before the batch or run ended."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(response: httpx.Response, body: Any) -> APIStatusError:
    """The exception for an error response, by its status."""
    if response.status_code >= 500:
        return InternalServerError(response, body)
    return _BY_STATUS.get(response.status_code, APIStatusError)(response, body)

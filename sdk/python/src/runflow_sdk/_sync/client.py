"""Synchronous client: the transport (headers, retries, errors) and `AsyncRunflow`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from runflow_sdk import _retries
from runflow_sdk._errors import APIConnectionError, APITimeoutError, status_error
from runflow_sdk._options import DEFAULT_MAX_RETRIES, ClientOptions, new_idempotency_key
from runflow_sdk._parse import parse

T = TypeVar("T")
# Methods whose repeat changes nothing more than the first call did.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH"})
# Answers that say the request was not acted on: any request may be sent again after them.
_NOT_ACTED_ON = frozenset({429, 503})


class SyncAPIClient:
    """Sends requests with the key and retries them when that is safe."""

    def __init__(self, options: ClientOptions, http_client: httpx.Client | None) -> None:
        self.options = options
        self.http = http_client or httpx.Client(timeout=options.timeout)
        self.headers = options.headers()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.options.base_url + path

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | Callable[[], Iterator[bytes]] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        retry_safe: bool = False,
        authenticated: bool = True,
    ) -> httpx.Response:
        """One request and its retries. A request is retried after a connection failure or a
        408/429/5xx only when repeating it is safe: a read, a PUT/PATCH/DELETE, a create that
        carries its `Idempotency-Key`, or an operation marked `retry_safe`."""
        sent_headers = dict(self.headers if authenticated else {})
        sent_headers |= headers or {}
        if idempotency_key:
            sent_headers["Idempotency-Key"] = idempotency_key
        safe = retry_safe or bool(idempotency_key) or method in _IDEMPOTENT_METHODS
        retries = 0
        while True:
            try:
                response = self.http.request(
                    method,
                    self.url(path),
                    params=params,
                    json=json,
                    files=files,
                    data=data,
                    content=content() if callable(content) else content,  # afresh each try
                    headers=sent_headers,
                )
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError)
                if retries < self.options.max_retries and (safe or never_sent):
                    time.sleep(_retries.delay_s(retries, None))
                    retries += 1
                    continue
                raise _connection_error(exc) from exc
            if response.is_success:
                return response
            retry = _retries.retryable_status(response) and (
                safe or response.status_code in _NOT_ACTED_ON
            )
            if retry and retries < self.options.max_retries:
                response.read()
                time.sleep(_retries.delay_s(retries, response))
                retries += 1
                continue
            response.read()
            raise status_error(response, _body(response))

    def request(self, cast_to: type[T], method: str, path: str, **kwargs: Any) -> T:
        response = self.send(method, path, **kwargs)
        return parse(cast_to, response.content)

    def create(self, cast_to: type[T], path: str, body: Any, key: str | None) -> T:
        """A POST that creates something, under one `Idempotency-Key` for all its retries."""
        return self.request(
            cast_to, "POST", path, json=body, idempotency_key=key or new_idempotency_key()
        )

    def close(self) -> None:
        self.http.close()


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"message": response.text[:500] or response.reason_phrase}


def _connection_error(exc: httpx.TransportError) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out: {exc!r}", _request_of(exc))
    return APIConnectionError(f"Connection error: {exc!r}", _request_of(exc))


def _request_of(exc: httpx.TransportError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:
        return None


class Runflow:
    """The Runflow API, asynchronously.

    ```python
    async with AsyncRunflow() as client:  # RUNFLOW_API_KEY, RUNFLOW_BASE_URL
        batch = await client.batches.create("runflow/echo", input=[{"message": "hi"}])
        done = await client.batches.wait(batch.id)
    ```
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        organization_id: str | None = None,
        default_headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        """`api_key` and `base_url` default to `RUNFLOW_API_KEY` and `RUNFLOW_BASE_URL`;
        `timeout` is in seconds per request; `organization_id` sends `X-Organization-Id`."""
        from runflow_sdk._sync.resources import (
            Account,
            Batches,
            Evaluations,
            Events,
            Media,
            Models,
            Runs,
            Status,
            Webhooks,
        )

        options = ClientOptions.resolve(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            organization_id=organization_id,
            default_headers=default_headers,
        )
        self._client = SyncAPIClient(options, http_client)
        self.models = Models(self._client)
        self.batches = Batches(self._client)
        self.runs = Runs(self._client)
        self.media = Media(self._client)
        self.evaluations = Evaluations(self._client)
        self.webhooks = Webhooks(self._client)
        self.events = Events(self._client)
        self.account = Account(self._client)
        self.status = Status(self._client)

    @property
    def base_url(self) -> str:
        return self._client.options.base_url

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Runflow:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

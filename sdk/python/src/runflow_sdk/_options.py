"""What both clients are configured with, and the request details they share."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from runflow_sdk._version import __version__

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class ClientOptions:
    api_key: str
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    organization_id: str | None = None
    default_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        organization_id: str | None,
        default_headers: dict[str, str] | None,
    ) -> ClientOptions:
        """Arguments first, then `RUNFLOW_API_KEY` / `RUNFLOW_BASE_URL`."""
        key = api_key or os.environ.get("RUNFLOW_API_KEY")
        if not key:
            from runflow_sdk._errors import RunflowError

            raise RunflowError(
                "No API key: pass api_key=… or set the RUNFLOW_API_KEY environment variable."
            )
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        return cls(
            api_key=key,
            base_url=(base_url or os.environ.get("RUNFLOW_BASE_URL") or DEFAULT_BASE_URL).rstrip(
                "/"
            ),
            timeout=timeout if isinstance(timeout, httpx.Timeout) else _timeout(timeout),
            max_retries=max_retries,
            organization_id=organization_id,
            default_headers=dict(default_headers or {}),
        )

    def headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": f"runflow-sdk-python/{__version__}",
            "Accept": "application/json",
        }
        if self.organization_id:
            headers["X-Organization-Id"] = self.organization_id
        return headers | self.default_headers


def _timeout(seconds: float | None) -> httpx.Timeout:
    return DEFAULT_TIMEOUT if seconds is None else httpx.Timeout(seconds, connect=min(seconds, 5.0))


def new_idempotency_key() -> str:
    """Made once per create call and sent on each of its retries: a retry of a create whose
    answer was lost returns the first answer instead of creating twice."""
    return f"rf-sdk-{uuid.uuid4()}"


def query(**params: Any) -> dict[str, Any]:
    """Query parameters without the ones left unset."""
    return {
        key: (str(value).lower() if isinstance(value, bool) else value)
        for key, value in params.items()
        if value is not None
    }


def model_path(model: str) -> str:
    """`owner/slug` → `/v1/models/owner/slug`, refusing anything else before a request."""
    owner, _, slug = model.partition("/")
    if not owner or not slug or "/" in slug:
        raise ValueError(f"model must be 'owner/slug', e.g. 'runflow/echo'; got {model!r}")
    return f"/v1/models/{owner}/{slug}"

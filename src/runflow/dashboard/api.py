"""The dashboard reads and writes through the service's own HTTP API, in process (an ASGI call,
no socket): every page gets exactly the API's validation, tenancy, roles and errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp


@dataclass
class ApiProblem(Exception):
    """An API error answer: its status and envelope."""

    status: int
    code: str
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def field_errors(self, prefix: tuple[Any, ...] = ("body", "input")) -> dict[str, str]:
        """Validation messages by input name, for showing each next to its field."""
        found: dict[str, str] = {}
        for problem in self.errors:
            loc = tuple(problem.get("loc", ()))
            if loc[: len(prefix)] == prefix and len(loc) > len(prefix):
                rest = [part for part in loc[len(prefix) :] if not isinstance(part, int)]
                if rest:
                    found.setdefault(str(rest[0]), str(problem.get("msg", "")))
        return found


class DashboardAPI:
    def __init__(self, app: ASGIApp, api_key: str, org_id: uuid.UUID | None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        if org_id is not None:
            headers["X-Organization-Id"] = str(org_id)
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://runflow.internal",
            headers=headers,
            timeout=60.0,
        )

    async def __aenter__(self) -> DashboardAPI:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def get(self, path: str, **params: Any) -> Any:
        query = {key: value for key, value in params.items() if value not in (None, "")}
        return await self.call("GET", path, params=query)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.call("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Any:
        return await self.call("PATCH", path, **kwargs)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON (None for an empty one), or `ApiProblem`."""
        response = await self._http.request(method, path, **kwargs)
        if response.is_success:
            return response.json() if response.content else None
        try:
            body = response.json()
        except ValueError:
            body = {}
        raise ApiProblem(
            response.status_code,
            str(body.get("code", f"HTTP_{response.status_code}")),
            str(body.get("message", response.reason_phrase)),
            list(body.get("errors") or []),
        )

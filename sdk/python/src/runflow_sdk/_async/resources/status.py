"""Asynchronous resource: health and readiness probes (no API key needed)."""

from __future__ import annotations

from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._operations import operation
from runflow_sdk.types import Health, Readiness


class AsyncStatus(AsyncResource):
    @operation("getHealth")
    async def health(self) -> Health:
        """Whether the process is alive."""
        return await self._client.request(Health, "GET", "/v1/status/health")

    @operation("getReady")
    async def ready(self) -> Readiness:
        """Whether the service can take work (database reachable, migrations applied)."""
        return await self._client.request(Readiness, "GET", "/v1/status/ready")

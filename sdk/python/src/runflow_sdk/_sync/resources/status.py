"""Synchronous resource: health and readiness probes (no API key needed)."""

from __future__ import annotations

from runflow_sdk._operations import operation
from runflow_sdk._sync.resources._resource import Resource
from runflow_sdk.types import Health, Readiness


class Status(Resource):
    @operation("getHealth")
    def health(self) -> Health:
        """Whether the process is alive."""
        return self._client.request(Health, "GET", "/v1/status/health")

    @operation("getReady")
    def ready(self) -> Readiness:
        """Whether the service can take work (database reachable, migrations applied)."""
        return self._client.request(Readiness, "GET", "/v1/status/ready")

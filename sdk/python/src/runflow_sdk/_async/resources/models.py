"""Asynchronous resource: the model catalog."""

from __future__ import annotations

from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._operations import operation
from runflow_sdk._options import model_path
from runflow_sdk.types import ModelList, ModelRead


class AsyncModels(AsyncResource):
    @operation("listModels")
    async def list(self) -> ModelList:
        """Every model this organization can run: built-in and its own."""
        return await self._client.request(ModelList, "GET", "/v1/models")

    @operation("getModel")
    async def get(self, model: str) -> ModelRead:
        """One model, `owner/slug` (e.g. `runflow/txt2img`), with its inputs and pricing."""
        return await self._client.request(ModelRead, "GET", model_path(model))

"""Synchronous resource: the model catalog."""

from __future__ import annotations

from runflow_sdk._operations import operation
from runflow_sdk._options import model_path
from runflow_sdk._sync.resources._resource import Resource
from runflow_sdk.types import ModelList, ModelRead


class Models(Resource):
    @operation("listModels")
    def list(self) -> ModelList:
        """Every model this organization can run: built-in and its own."""
        return self._client.request(ModelList, "GET", "/v1/models")

    @operation("getModel")
    def get(self, model: str) -> ModelRead:
        """One model, `owner/slug` (e.g. `runflow/txt2img`), with its inputs and pricing."""
        return self._client.request(ModelRead, "GET", model_path(model))

"""Synchronous resource: evaluations of image quality."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from runflow_sdk._operations import operation
from runflow_sdk._options import query
from runflow_sdk._sync.pagination import Pager
from runflow_sdk._sync.resources._resource import Resource
from runflow_sdk.types import EvaluationRead


class Evaluations(Resource):
    @operation("createEvaluation")
    def create(
        self,
        *,
        image: str,
        prompt: str | None = None,
        criteria: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> EvaluationRead:
        """Judge an image (a media id, an https URL or a `data:` URI): its score, its issues
        and whether it passes `criteria` (`min_score`, `min_width`, `min_height`, `ignore`)."""
        body = query(
            image=image,
            prompt=prompt,
            criteria=criteria,
            metadata=metadata,
            callback_url=callback_url,
        )
        return self._client.create(EvaluationRead, "/v1/evaluations", body, idempotency_key)

    @operation("getEvaluation")
    def get(self, evaluation_id: str | uuid.UUID) -> EvaluationRead:
        """One evaluation."""
        return self._client.request(EvaluationRead, "GET", f"/v1/evaluations/{evaluation_id}")

    @operation("listEvaluations")
    def list(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Pager[EvaluationRead]:
        """This organization's evaluations; iterate for every page."""
        return self._pager(
            "/v1/evaluations",
            EvaluationRead,
            q=q,
            sort_by=sort_by,
            fields=fields,
            embed=None,
            limit=limit,
        )

"""A batch as the API shows it, from its row."""

from __future__ import annotations

import uuid
from typing import Any

from runflow.batches.models import Batch
from runflow.batches.schemas import BatchItemHandle, BatchRead, BatchSummary


def links_for(batch_id: uuid.UUID, retry_of: uuid.UUID | None = None) -> dict[str, str]:
    base = f"/v1/batches/{batch_id}"
    links = {"self": base, "items": f"{base}/items", "callback": f"{base}/callback"}
    if retry_of is not None:
        links["retry_of"] = f"/v1/batches/{retry_of}"
    return links


def _summary_fields(batch: Batch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "org_id": batch.org_id,
        "target_type_code": batch.target_type_code,
        "target_type": batch.target_type_code,
        "target_id": batch.target_id,
        "status_code": batch.status_code,
        "source_code": batch.source_code,
        "items_total": batch.items_total,
        "items_succeeded": batch.items_succeeded,
        "items_failed": batch.items_failed,
        "items_cancelled": batch.items_cancelled,
        "resolved_template_id": batch.resolved_template_id,
        "dispatch_provider_link_id": batch.dispatch_provider_link_id,
        "cost": batch.cost,
        "metadata": batch.metadata_,
        "callback_url": batch.callback_url,
        "duration_ms": batch.duration_ms,
        "failure_code": batch.failure_code,
        "failure_message": batch.failure_message,
        "failure_stage_code": batch.failure_stage_code,
        "created_by": batch.created_by,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "completed_at": batch.completed_at,
        "links": links_for(batch.id, batch.retry_of),
    }


def batch_summary(batch: Batch) -> BatchSummary:
    return BatchSummary(**_summary_fields(batch))


def batch_read(batch: Batch, handles: list[BatchItemHandle]) -> BatchRead:
    return BatchRead(
        **_summary_fields(batch), input=batch.input, output=batch.output, items=handles
    )

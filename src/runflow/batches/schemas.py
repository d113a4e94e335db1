"""Batch request and response shapes, exactly as `contract/` names and types them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runflow.kit.schemas import (
    CallbackUrl,
    CursorPage,
    MoneyString,
    Schema,
    check_callback_url,
    check_metadata,
)
from runflow.runs.schemas import RunDetail

MAX_ITEMS = 100
MAX_CLIENT_REF_LENGTH = 255


class BatchCreate(BaseModel):
    """POST body for creating a batch.

    input is an array of per-item objects. Each item is validated independently against the
    target model's ModelInput declarations. Each item may carry an optional client_ref
    (≤255 chars, stripped before model validation); the model's own input shape fills the rest.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "input": [{"message": "hello", "client_ref": "a"}, {"message": "world"}],
                    "metadata": {"project": "demo"},
                }
            ]
        },
    )

    input: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ITEMS, title="Input")]
    metadata: Annotated[dict[str, Any] | None, Field(title="Metadata")] = None
    callback_url: Annotated[CallbackUrl | None, Field(title="Callback Url")] = None

    _check_callback_url = field_validator("callback_url")(check_callback_url)
    _check_metadata = field_validator("metadata")(check_metadata)


class BatchItemHandle(Schema):
    """Lean per-item correlation handle for POST /batches responses and
    ``GET /batches/{id}`` inline items. For the full per-item projection
    (input/output/cost/timestamps), use ``GET /batches/{id}/items``."""

    id: uuid.UUID
    sequence_index: int
    client_ref: str | None = None
    run_id: uuid.UUID
    status_code: str


RetryableStatus = Literal["succeeded", "failed", "cancelled"]


class BatchRetry(BaseModel):
    """POST body for a retry: which items to run again (by how they ended)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status_codes": ["failed"]}]},
    )

    status_codes: Annotated[list[RetryableStatus], Field(min_length=1, max_length=3)] = [
        "failed",
        "cancelled",
    ]
    callback_url: Annotated[CallbackUrl | None, Field(title="Callback Url")] = None

    _check_callback_url = field_validator("callback_url")(check_callback_url)


class BatchCreated(Schema):
    """POST /batches response — batch fields + items handle list."""

    id: uuid.UUID
    target_type: str
    target_id: uuid.UUID
    status_code: str
    items_total: int
    items_succeeded: int
    items_failed: int
    items_cancelled: int
    items: list[BatchItemHandle]
    created_at: datetime
    output: dict[str, Any] | None = None
    cost: MoneyString | None = None
    metadata: dict[str, Any] | None = None
    callback_url: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class BatchSummary(Schema):
    """A batch without its per-item payloads: what lists return."""

    id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    target_type_code: str | None = None
    target_type: str | None = None
    target_id: uuid.UUID | None = None
    status_code: str | None = None
    source_code: str | None = None
    items_total: int | None = None
    items_succeeded: int | None = None
    items_failed: int | None = None
    items_cancelled: int | None = None
    resolved_template_id: uuid.UUID | None = None
    dispatch_provider_link_id: uuid.UUID | None = None
    cost: MoneyString | None = None
    metadata: dict[str, Any] | None = None
    callback_url: str | None = None
    duration_ms: int | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    failure_stage_code: str | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    links: dict[str, Any] | None = None


class BatchRead(BatchSummary):
    """Response shape."""

    model_config = ConfigDict(title="FullValidator")

    input: list[dict[str, Any]] | None = None
    output: dict[str, Any] | None = None
    items: list[BatchItemHandle] | None = None


class BatchList(CursorPage):
    """The org's batches, newest first unless sorted. Read one batch for its input, output and
    items."""

    items: list[BatchSummary]


class BatchItemRow(Schema):
    """One item with the live state of its run."""

    id: uuid.UUID
    batch_id: uuid.UUID
    sequence_index: int
    run_id: uuid.UUID
    created_at: datetime
    client_ref: str | None = None
    status_code: str
    input: dict[str, Any] | None = None
    cost: MoneyString | None = None
    output: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    run: RunDetail | None = None


class BatchItemPage(BaseModel):
    """Paginated response envelope for batch items."""

    items: list[BatchItemRow]
    first: str | None = None
    next: str | None = None
    previous: str | None = None

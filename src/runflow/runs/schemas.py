"""Run shapes: the full run object of the contract, its logs and node runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runflow.catalog.schemas import ModelRead
from runflow.kit.schemas import (
    CallbackUrl,
    ClientRef,
    CursorPage,
    MoneyString,
    Schema,
    check_callback_url,
    check_metadata,
)


class RunCreate(BaseModel):
    """POST body for one run: the model's input, plus optional metadata and callback."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"input": {"message": "hello"}, "client_ref": "a"}]},
    )

    input: dict[str, Any]
    metadata: dict[str, Any] | None = None
    callback_url: CallbackUrl | None = None
    client_ref: ClientRef | None = None

    _check_callback_url = field_validator("callback_url")(check_callback_url)
    _check_metadata = field_validator("metadata")(check_metadata)


class RunRerun(BaseModel):
    """POST body for a re-run: overrides merged into the run's stored input."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"input": {"seed": 42}}]},
    )

    input: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    callback_url: CallbackUrl | None = None

    _check_callback_url = field_validator("callback_url")(check_callback_url)
    _check_metadata = field_validator("metadata")(check_metadata)


class RunLogRead(Schema):
    id: uuid.UUID
    run_id: uuid.UUID
    level_code: str
    message: str
    timestamp: datetime
    meta: dict[str, Any] | None = None
    run: None = None


class NodeRunRead(Schema):
    id: uuid.UUID
    run_id: uuid.UUID
    node_id: uuid.UUID
    flow_id: uuid.UUID | None = None
    state_code: str
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    input_signature: str
    preview_type: str | None = None
    preview_value: str | None = None
    duration_ms: int | None = None
    cost: MoneyString | None = None
    retry_count: int
    error_message: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None


class RunRead(Schema):
    """A run with its live state."""

    id: uuid.UUID
    flow_id: uuid.UUID | None = None
    model_id: uuid.UUID
    comfyui_workflow_id: uuid.UUID | None = None
    target_type: str
    target_version: str | None = None
    org_id: uuid.UUID
    status_code: str
    source_code: str
    input: dict[str, Any]
    output: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    duration_ms: int | None = None
    cost: MoneyString | None = None
    cost_breakdown: dict[str, Any] | None = None
    nodes_total: int | None = None
    nodes_completed: int | None = None
    resolved_template_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    client_ref: str | None = None
    jurisdiction_code: str | None = None
    flow_version_id: uuid.UUID | None = None
    request_id: str | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    callback_url: str | None = None
    metadata: dict[str, Any] | None = Field(default=None, validation_alias="metadata_")
    has_logs: bool = False
    has_node_runs: bool = False
    links: dict[str, Any] | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    failure_stage_code: str | None = None


class RunDetail(RunRead):
    """A run with its node runs, its logs and its model, as `embed=run` inlines it."""

    node_runs: list[NodeRunRead] = Field(default_factory=list)
    logs: list[RunLogRead] = Field(default_factory=list)
    model: ModelRead | None = None


class RunList(CursorPage):
    items: list[RunRead]


class RunLogList(CursorPage):
    items: list[RunLogRead]


class NodeRunList(CursorPage):
    items: list[NodeRunRead]

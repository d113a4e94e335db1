"""Callback delivery history, shaped as `contract/get-batch-callback.txt`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from runflow.kit.schemas import Schema


class BatchCallbackPayload(BaseModel):
    """JSON payload delivered to a customer's callback_url when a batch reaches a terminal
    state. Frozen at delivery time and stored as payload_bytes on the delivery row. Datetimes
    serialize via .isoformat() (+00:00 not Z) to preserve byte-equivalence for HMAC
    verification on the customer side."""

    event: str
    batch_id: uuid.UUID
    status: str
    output: dict[str, Any] | None = None
    duration_ms: int | None = None
    created_at: datetime
    completed_at: datetime | None = None
    metadata: dict[str, Any] | None = None


class CallbackAttemptRead(Schema):
    # The contract's page calls this shape "FullValidator" too, but that title belongs to the
    # batch detail's schema; two schemas with one title leave generated clients without a model
    # for one of them.
    model_config = ConfigDict(title="CallbackAttempt")

    id: uuid.UUID | None = None
    delivery_id: uuid.UUID | None = None
    attempt_number: int | None = None
    status_code: int | None = None
    response_body: str | None = None
    response_time_ms: int | None = None
    error_message: str | None = None
    created_at: datetime | None = None


class RunCallbackPayload(BaseModel):
    """JSON payload delivered to the `callback_url` of a run created on its own when it ends;
    frozen like the batch payload."""

    event: str
    run_id: uuid.UUID
    status: str
    output: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cost: str
    duration_ms: int | None = None
    created_at: datetime
    completed_at: datetime | None = None
    metadata: dict[str, Any] | None = None


PayloadT = TypeVar("PayloadT", BatchCallbackPayload, RunCallbackPayload)


class _DeliveryRead(Schema, Generic[PayloadT]):
    id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    callback_url: str | None = None
    payload_bytes: str | None = None
    payload: PayloadT | None = None
    signing_secret_id: uuid.UUID | None = None
    is_automatic: bool | None = None
    status_code: str | None = None
    failure_reason_code: str | None = None
    failure_detail: str | None = None
    attempt_count: int | None = None
    max_attempts: int | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    attempts: list[CallbackAttemptRead] | None = None


class CallbackDeliveryRead(_DeliveryRead[BatchCallbackPayload]):
    """One delivery of a batch's callback (automatic, or a manual redelivery) and its attempts."""


class RunCallbackDeliveryRead(_DeliveryRead[RunCallbackPayload]):
    """One delivery of a lone run's callback and its attempts."""

    run_id: uuid.UUID | None = None

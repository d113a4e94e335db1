"""Render delivery rows as the customer sees them: exact bytes, parsed payload, attempts."""

from __future__ import annotations

import json
from typing import Any

from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.schemas import (
    CallbackAttemptRead,
    CallbackDeliveryRead,
    RunCallbackDeliveryRead,
)


def _fields(delivery: CallbackDelivery) -> dict[str, Any]:
    text = delivery.payload_bytes.decode()
    return {
        "id": delivery.id,
        "batch_id": delivery.batch_id,
        "callback_url": delivery.callback_url,
        "payload_bytes": text,
        "payload": json.loads(text),
        "signing_secret_id": delivery.signing_secret_id,
        "is_automatic": delivery.is_automatic,
        "status_code": delivery.status_code,
        "failure_reason_code": delivery.failure_reason_code,
        "failure_detail": delivery.failure_detail,
        "attempt_count": delivery.attempt_count,
        "max_attempts": delivery.max_attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
        "completed_at": delivery.completed_at,
        "attempts": [CallbackAttemptRead.model_validate(attempt) for attempt in delivery.attempts],
    }


def delivery_read(delivery: CallbackDelivery) -> CallbackDeliveryRead:
    return CallbackDeliveryRead.model_validate(_fields(delivery))


def run_delivery_read(delivery: CallbackDelivery) -> RunCallbackDeliveryRead:
    return RunCallbackDeliveryRead.model_validate(_fields(delivery) | {"run_id": delivery.run_id})

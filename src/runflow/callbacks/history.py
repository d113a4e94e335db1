"""Render delivery rows as the customer sees them: exact bytes, parsed payload, attempts."""

from __future__ import annotations

import json

from runflow.callbacks.models import CallbackDelivery
from runflow.callbacks.schemas import (
    BatchCallbackPayload,
    CallbackAttemptRead,
    CallbackDeliveryRead,
)


def delivery_read(delivery: CallbackDelivery) -> CallbackDeliveryRead:
    text = delivery.payload_bytes.decode()
    return CallbackDeliveryRead(
        id=delivery.id,
        batch_id=delivery.batch_id,
        callback_url=delivery.callback_url,
        payload_bytes=text,
        payload=BatchCallbackPayload.model_validate(json.loads(text)),
        signing_secret_id=delivery.signing_secret_id,
        is_automatic=delivery.is_automatic,
        status_code=delivery.status_code,
        failure_reason_code=delivery.failure_reason_code,
        failure_detail=delivery.failure_detail,
        attempt_count=delivery.attempt_count,
        max_attempts=delivery.max_attempts,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        completed_at=delivery.completed_at,
        attempts=[CallbackAttemptRead.model_validate(attempt) for attempt in delivery.attempts],
    )

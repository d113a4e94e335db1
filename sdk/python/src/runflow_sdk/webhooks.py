"""Verifying what Runflow sends: batch and run callbacks, and webhook endpoint deliveries.
Both are signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import standardwebhooks
from pydantic import BaseModel, ConfigDict

from runflow_sdk._errors import WebhookVerificationError
from runflow_sdk.types import BatchCallbackPayload, RunCallbackPayload


class WebhookEvent(BaseModel):
    """A webhook endpoint delivery's body: the event's `type`, when it happened, its `data`.
    `id` is the `webhook-id` header: the event's id, the same on every retry."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]


Verified = WebhookEvent | BatchCallbackPayload | RunCallbackPayload


def verify(body: bytes | str, headers: Mapping[str, str], secret: str) -> Verified:
    """Check `body` against its signature headers with the endpoint's (or the organization's
    callback) `secret`, and return it typed: a `WebhookEvent` for an endpoint delivery, a
    `BatchCallbackPayload` or `RunCallbackPayload` for a callback. Raises
    `WebhookVerificationError` when the signature does not match, a header is missing, or the
    timestamp is more than five minutes away. Pass the body exactly as received."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        standardwebhooks.Webhook(secret).verify(body, lowered)
    except standardwebhooks.WebhookVerificationError as exc:
        raise WebhookVerificationError(str(exc) or "signature mismatch") from exc
    except Exception as exc:  # a malformed secret or header: still not a verified body
        raise WebhookVerificationError(f"cannot verify: {exc}") from exc
    payload = json.loads(body)
    if isinstance(payload, dict) and "type" in payload and "data" in payload:
        return WebhookEvent.model_validate(payload | {"id": lowered["webhook-id"]})
    if isinstance(payload, dict) and "batch_id" in payload:
        return BatchCallbackPayload.model_validate(payload)
    return RunCallbackPayload.model_validate(payload)

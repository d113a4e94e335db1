"""Webhook shapes: signing secrets, endpoints, events, the event catalogue and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from runflow.kit.schemas import (
    CallbackUrl,
    CursorPage,
    Schema,
    check_callback_url,
    check_metadata,
)
from runflow.webhooks.catalogue import ALL, EventType
from runflow.webhooks.models import WebhookEndpoint

MAX_EVENT_TYPES = len(EventType) + 1
_TYPE_NAMES = frozenset(event_type.value for event_type in EventType)


class RetiringSecret(Schema):
    """A rotated-out secret that still signs, alongside the current one, until `expires_at`."""

    id: uuid.UUID
    secret: str
    created_at: datetime
    expires_at: datetime


class SigningSecretRead(BaseModel):
    """Verify callbacks with `secret` (Standard Webhooks, `whsec_…`); during a rotation each
    callback carries one `v1,` signature per secret in `webhook-signature`."""

    id: uuid.UUID
    secret: str
    created_at: datetime
    retiring: list[RetiringSecret]


def _known_types(event_types: list[str]) -> list[str]:
    unknown = [name for name in event_types if name != ALL and name not in _TYPE_NAMES]
    if unknown:
        raise ValueError(
            f"unknown event type {unknown[0]!r}; GET /v1/webhooks/event-types lists them, "
            'and ["*"] subscribes to all'
        )
    if len(set(event_types)) != len(event_types):
        raise ValueError("an event type is listed twice")
    return event_types


EventTypes = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        examples=[["batch.succeeded", "run.failed"]],
        # Declared for clients; `_known_types` gives the clearer message.
        json_schema_extra={"uniqueItems": True, "items": {"enum": [ALL, *sorted(_TYPE_NAMES)]}},
    ),
    AfterValidator(_known_types),
]
Description = Annotated[str, Field(max_length=500)]


class WebhookEndpointCreate(BaseModel):
    """An endpoint to send events to: its URL must resolve to a public address."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"url": "https://hooks.example.com/runflow", "event_types": ["batch.succeeded"]}
            ]
        },
    )

    url: CallbackUrl
    description: Description | None = None
    event_types: EventTypes
    enabled: bool = True
    metadata: dict[str, Any] | None = None

    _check_url = field_validator("url")(check_callback_url)
    _check_metadata = field_validator("metadata")(check_metadata)


class WebhookEndpointUpdate(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    url: CallbackUrl | None = None
    description: Description | None = None
    event_types: EventTypes | None = None
    enabled: bool | None = None
    metadata: dict[str, Any] | None = None

    _check_url = field_validator("url")(check_callback_url)
    _check_metadata = field_validator("metadata")(check_metadata)


class WebhookEndpointRead(Schema):
    id: uuid.UUID
    org_id: uuid.UUID
    url: str
    description: str | None = None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(
        default=None, description="`MANUAL` (turned off by a PATCH) or `FAILING`."
    )
    failing_since: datetime | None = Field(
        default=None, description="Since when every attempt has failed; null after a success."
    )
    metadata: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    links: dict[str, str]


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="Shown here and by the secret endpoint only.")


class WebhookEndpointList(CursorPage):
    items: list[WebhookEndpointRead]


def endpoint_links(endpoint_id: uuid.UUID) -> dict[str, str]:
    base = f"/v1/webhooks/endpoints/{endpoint_id}"
    deliveries = urlencode({"q": f'endpoint_id = "{endpoint_id}"'})
    return {
        "self": base,
        "secret": f"{base}/secret",
        "deliveries": f"/v1/webhooks/deliveries?{deliveries}",
    }


def endpoint_read(endpoint: WebhookEndpoint) -> WebhookEndpointRead:
    return WebhookEndpointRead(
        id=endpoint.id,
        org_id=endpoint.org_id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        metadata=endpoint.metadata_,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        links=endpoint_links(endpoint.id),
    )


class EventRead(Schema):
    """Something that happened: `data` is the resource as its GET returned it then."""

    id: uuid.UUID
    type: str
    created_at: datetime
    data: dict[str, Any]


class EventList(CursorPage):
    items: list[EventRead]


class EventTypeRead(BaseModel):
    type: str
    description: str
    example: dict[str, Any] = Field(description="A delivery's body: `{type, timestamp, data}`.")


class EventTypeList(BaseModel):
    items: list[EventTypeRead]


class DeliveryAttemptRead(Schema):
    id: uuid.UUID
    attempt_number: int
    status_code: int | None = None
    response_body: str | None = None
    response_time_ms: int | None = None
    error_message: str | None = None
    created_at: datetime


class WebhookDeliveryRead(Schema):
    """One delivery: a batch's or a run's callback (`endpoint_id` null), or an event sent to
    one endpoint (`webhook-id` = `event_id`)."""

    id: uuid.UUID
    event_type: str | None = None
    event_id: uuid.UUID | None = None
    endpoint_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    url: str
    is_automatic: bool
    status_code: str = Field(description="`pending`, `succeeded` or `failed`.")
    failure_reason_code: str | None = None
    failure_detail: str | None = None
    attempt_count: int
    max_attempts: int
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    links: dict[str, str]


class WebhookDeliveryDetail(WebhookDeliveryRead):
    payload_bytes: str = Field(description="The exact body sent on every attempt.")
    attempts: list[DeliveryAttemptRead]


class WebhookDeliveryList(CursorPage):
    items: list[WebhookDeliveryRead]


class RecoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(
        description="Redeliver the endpoint's deliveries that failed since this time."
    )


class RecoverResult(BaseModel):
    count: int = Field(description="How many deliveries were queued again.")

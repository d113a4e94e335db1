"""Synchronous resource: callback signing secrets, webhook endpoints, their deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from runflow_sdk._operations import operation
from runflow_sdk._options import query
from runflow_sdk._sync.client import SyncAPIClient
from runflow_sdk._sync.pagination import Pager
from runflow_sdk._sync.resources._resource import Resource
from runflow_sdk.types import (
    EventTypeList,
    RecoverResult,
    SigningSecretRead,
    WebhookDeliveryDetail,
    WebhookDeliveryRead,
    WebhookEndpointCreated,
    WebhookEndpointRead,
)
from runflow_sdk.webhooks import Verified, verify

Id = str | uuid.UUID


class WebhookEndpoints(Resource):
    @operation("createWebhookEndpoint")
    def create(
        self,
        *,
        url: str,
        event_types: Sequence[str],
        description: str | None = None,
        enabled: bool | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpointCreated:
        """Subscribe `url` to `event_types` (`["*"]` for all). The answer holds the endpoint's
        signing `secret`; it is shown here once (read it again with `secret()`)."""
        body = query(
            url=url,
            event_types=list(event_types),
            description=description,
            enabled=enabled,
            metadata=metadata,
        )
        return self._client.create(
            WebhookEndpointCreated, "/v1/webhooks/endpoints", body, idempotency_key
        )

    @operation("listWebhookEndpoints")
    def list(
        self, *, q: str | None = None, sort_by: str | None = None, limit: int | None = None
    ) -> Pager[WebhookEndpointRead]:
        """This organization's endpoints (at most 20)."""
        return self._pager(
            "/v1/webhooks/endpoints",
            WebhookEndpointRead,
            q=q,
            sort_by=sort_by,
            fields=None,
            embed=None,
            limit=limit,
        )

    @operation("getWebhookEndpoint")
    def get(self, endpoint_id: Id) -> WebhookEndpointRead:
        """One endpoint."""
        return self._client.request(
            WebhookEndpointRead, "GET", f"/v1/webhooks/endpoints/{endpoint_id}"
        )

    @operation("updateWebhookEndpoint")
    def update(
        self,
        endpoint_id: Id,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookEndpointRead:
        """Change the fields given; `enabled=True` resumes a disabled endpoint."""
        body = query(
            url=url,
            event_types=list(event_types) if event_types is not None else None,
            description=description,
            enabled=enabled,
            metadata=metadata,
        )
        return self._client.request(
            WebhookEndpointRead, "PATCH", f"/v1/webhooks/endpoints/{endpoint_id}", json=body
        )

    @operation("deleteWebhookEndpoint")
    def delete(self, endpoint_id: Id) -> None:
        """Delete the endpoint; its delivery history stays readable."""
        self._client.send("DELETE", f"/v1/webhooks/endpoints/{endpoint_id}")

    @operation("getWebhookEndpointSecret")
    def secret(self, endpoint_id: Id) -> SigningSecretRead:
        """The endpoint's signing secret (and a retiring one during a rotation)."""
        return self._client.request(
            SigningSecretRead, "GET", f"/v1/webhooks/endpoints/{endpoint_id}/secret"
        )

    @operation("rotateWebhookEndpointSecret")
    def rotate_secret(self, endpoint_id: Id) -> SigningSecretRead:
        """A new secret; the old one keeps signing beside it for 24 hours."""
        return self._client.request(
            SigningSecretRead, "POST", f"/v1/webhooks/endpoints/{endpoint_id}/secret/rotate"
        )

    @operation("testWebhookEndpoint")
    def test(self, endpoint_id: Id, *, idempotency_key: str | None = None) -> WebhookDeliveryDetail:
        """Send a `webhook.test` event to the endpoint now (once, however often retried)."""
        return self._client.create(
            WebhookDeliveryDetail,
            f"/v1/webhooks/endpoints/{endpoint_id}/test",
            None,
            idempotency_key,
        )

    @operation("recoverWebhookEndpoint")
    def recover(self, endpoint_id: Id, *, since: datetime | str) -> RecoverResult:
        """Deliver again every failed delivery of the endpoint since `since`."""
        moment = since.isoformat() if isinstance(since, datetime) else since
        return self._client.request(
            RecoverResult,
            "POST",
            f"/v1/webhooks/endpoints/{endpoint_id}/recover",
            json={"since": moment},
        )


class WebhookDeliveries(Resource):
    @operation("listWebhookDeliveries")
    def list(
        self,
        *,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Pager[WebhookDeliveryRead]:
        """Batch callbacks and endpoint deliveries together (`q` on `event_type`,
        `status_code`, `endpoint_id`, `batch_id`, `created_at`)."""
        return self._pager(
            "/v1/webhooks/deliveries",
            WebhookDeliveryRead,
            q=q,
            sort_by=sort_by,
            fields=fields,
            embed=None,
            limit=limit,
        )

    @operation("getWebhookDelivery")
    def get(self, delivery_id: Id) -> WebhookDeliveryDetail:
        """One delivery with every attempt."""
        return self._client.request(
            WebhookDeliveryDetail, "GET", f"/v1/webhooks/deliveries/{delivery_id}"
        )

    @operation("redeliverWebhookDelivery")
    def redeliver(
        self, delivery_id: Id, *, idempotency_key: str | None = None
    ) -> WebhookDeliveryDetail:
        """Send the same bytes again, as a new manual delivery."""
        return self._client.create(
            WebhookDeliveryDetail,
            f"/v1/webhooks/deliveries/{delivery_id}/redeliver",
            None,
            idempotency_key,
        )


class Webhooks(Resource):
    def __init__(self, client: SyncAPIClient) -> None:
        super().__init__(client)
        self.endpoints = WebhookEndpoints(client)
        self.deliveries = WebhookDeliveries(client)

    @operation("getSigningSecret")
    def signing_secret(self) -> SigningSecretRead:
        """The organization's callback signing secret."""
        return self._client.request(SigningSecretRead, "GET", "/v1/webhooks/signing-secret")

    @operation("rotateSigningSecret")
    def rotate_signing_secret(self) -> SigningSecretRead:
        """A new callback signing secret; the old one keeps signing beside it for 24 hours."""
        return self._client.request(SigningSecretRead, "POST", "/v1/webhooks/signing-secret/rotate")

    @operation("listWebhookEventTypes")
    def event_types(self) -> EventTypeList:
        """Every event type an endpoint can subscribe to, with an example body."""
        return self._client.request(EventTypeList, "GET", "/v1/webhooks/event-types")

    def verify(self, body: bytes | str, headers: Mapping[str, str], secret: str) -> Verified:
        """Verify a received callback or delivery and return it typed (see
        `runflow_sdk.webhooks.verify`)."""
        return verify(body, headers, secret)

"""`/v1/webhooks/…` and `/v1/events`: the org's signing secret, its endpoints, the event
catalogue, the event log and every delivery (DESIGN §6, §15).

Secrets need a key that may write: whoever holds one can forge callbacks, so viewers and
read-only impersonation keys never see them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask

from runflow.auth.dependencies import Reader, Writer
from runflow.callbacks.dependencies import CallbackOutbox, Egress
from runflow.callbacks.http import deliver_once
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.errors import ERROR_RESPONSES
from runflow.idempotency.http import create_once
from runflow.kit.clock import utcnow
from runflow.kit.http import IdempotencyKey, JsonBody, StrictJsonRoute
from runflow.query.listing import Cursors, ListQuery, page_response
from runflow.webhooks import deliveries, endpoints, event_log, listing, service
from runflow.webhooks.catalogue import CATALOGUE
from runflow.webhooks.schemas import (
    EventList,
    EventRead,
    EventTypeList,
    EventTypeRead,
    RecoverRequest,
    RecoverResult,
    SigningSecretRead,
    WebhookDeliveryDetail,
    WebhookDeliveryList,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointList,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
)

router = APIRouter(
    prefix="/v1/webhooks", tags=["Webhooks"], responses=ERROR_RESPONSES, route_class=StrictJsonRoute
)
events_router = APIRouter(
    prefix="/v1/events", tags=["Webhooks"], responses=ERROR_RESPONSES, route_class=StrictJsonRoute
)

EndpointId = Annotated[uuid.UUID, Path(alias="id", title="Endpoint Id")]
DeliveryId = Annotated[uuid.UUID, Path(alias="id", title="Delivery Id")]
EventId = Annotated[uuid.UUID, Path(alias="id", title="Event Id")]


@router.get(
    "/signing-secret", summary="Get the callback signing secret", operation_id="getSigningSecret"
)
async def get_signing_secret(session: WriteSession, principal: Writer) -> SigningSecretRead:
    """The secret that signs your callbacks (created on first use), and any still retiring."""
    live = await service.signing_secrets(session, [principal.org_id], utcnow())
    return service.secret_read(live[principal.org_id])


@router.post(
    "/signing-secret/rotate",
    summary="Rotate the callback signing secret",
    operation_id="rotateSigningSecret",
)
async def rotate_signing_secret(session: WriteSession, principal: Writer) -> SigningSecretRead:
    """Make a new secret current; the previous one keeps signing for 24 hours."""
    return service.secret_read(await service.rotate(session, principal.org_id, utcnow()))


@router.get("/event-types", summary="List event types", operation_id="listWebhookEventTypes")
async def list_event_types(principal: Reader) -> EventTypeList:
    """Every event type an endpoint can subscribe to, with an example delivery body."""
    example_time = utcnow().replace(microsecond=0)
    return EventTypeList(
        items=[
            EventTypeRead(
                type=info.type,
                description=info.description,
                example={
                    "type": info.type.value,
                    "timestamp": example_time.isoformat(),
                    "data": info.data,
                },
            )
            for info in CATALOGUE
        ]
    )


@router.post(
    "/endpoints",
    summary="Create a webhook endpoint",
    operation_id="createWebhookEndpoint",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    dependencies=[JsonBody],
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    request: Request,
    session: WriteSession,
    principal: Writer,
    guard: Egress,
    idempotency_key: IdempotencyKey,
) -> Response:
    """Subscribe a URL to event types (`["*"]`: all). The endpoint's signing `secret` is in
    this response and at `GET …/secret` only."""
    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=lambda: endpoints.create_endpoint(session, principal, body, guard),
    )


@router.get(
    "/endpoints",
    summary="List webhook endpoints",
    operation_id="listWebhookEndpoints",
    response_model=WebhookEndpointList,
)
async def list_endpoints(
    params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Your organization's endpoints, newest first; `q` filters on `enabled`, `url` and more."""
    page, fields = await listing.list_endpoints(session, principal, params, codec)
    return page_response(page, fields)


@router.get("/endpoints/{id}", summary="Get a webhook endpoint", operation_id="getWebhookEndpoint")
async def get_endpoint(
    endpoint_id: EndpointId, session: ReadSession, principal: Reader
) -> WebhookEndpointRead:
    return await endpoints.read_endpoint(session, principal, endpoint_id)


@router.patch(
    "/endpoints/{id}",
    summary="Update a webhook endpoint",
    operation_id="updateWebhookEndpoint",
    dependencies=[JsonBody],
)
async def update_endpoint(
    endpoint_id: EndpointId,
    body: WebhookEndpointUpdate,
    session: WriteSession,
    principal: Writer,
    guard: Egress,
) -> WebhookEndpointRead:
    """Change the fields given. Enabling a disabled endpoint resumes delivery of new events;
    what failed meanwhile can be sent with `…/recover`."""
    return await endpoints.update_endpoint(session, principal, endpoint_id, body, guard)


@router.delete(
    "/endpoints/{id}",
    summary="Delete a webhook endpoint",
    operation_id="deleteWebhookEndpoint",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_endpoint(
    endpoint_id: EndpointId, session: WriteSession, principal: Writer
) -> None:
    """It gets nothing more; its delivery history stays readable."""
    await endpoints.delete_endpoint(session, principal, endpoint_id)


@router.get(
    "/endpoints/{id}/secret",
    summary="Get a webhook endpoint's signing secret",
    operation_id="getWebhookEndpointSecret",
)
async def get_endpoint_secret(
    endpoint_id: EndpointId, session: WriteSession, principal: Writer
) -> SigningSecretRead:
    return await endpoints.endpoint_secret(session, principal, endpoint_id)


@router.post(
    "/endpoints/{id}/secret/rotate",
    summary="Rotate a webhook endpoint's signing secret",
    operation_id="rotateWebhookEndpointSecret",
)
async def rotate_endpoint_secret(
    endpoint_id: EndpointId, session: WriteSession, principal: Writer
) -> SigningSecretRead:
    """A new current secret; the previous one keeps signing beside it for 24 hours."""
    return await endpoints.rotate_endpoint_secret(session, principal, endpoint_id)


def _accepted(body: dict[str, object], outbox: CallbackOutbox) -> JSONResponse:
    """202 once committed; the sender is woken after the response."""
    return JSONResponse(
        body, status_code=status.HTTP_202_ACCEPTED, background=BackgroundTask(outbox.notify_sender)
    )


@router.post(
    "/endpoints/{id}/test",
    summary="Send a test event",
    operation_id="testWebhookEndpoint",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookDeliveryDetail,
)
async def test_endpoint(
    endpoint_id: EndpointId,
    request: Request,
    session: WriteSession,
    principal: Writer,
    outbox: CallbackOutbox,
    idempotency_key: IdempotencyKey,
) -> Response:
    """A `webhook.test` event to this endpoint alone, sent now; poll the delivery to see it."""

    async def send() -> WebhookDeliveryDetail:
        event_id = await endpoints.send_test_event(session, principal, endpoint_id, outbox)
        return await deliveries.read_delivery_of_event(session, principal, event_id, endpoint_id)

    return await deliver_once(
        request,
        session,
        principal,
        idempotency_key,
        outbox,
        send,
        status_code=status.HTTP_202_ACCEPTED,
    )


@router.post(
    "/endpoints/{id}/recover",
    summary="Redeliver an endpoint's failed deliveries",
    operation_id="recoverWebhookEndpoint",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RecoverResult,
    dependencies=[JsonBody],
)
async def recover_endpoint(
    endpoint_id: EndpointId,
    body: RecoverRequest,
    session: WriteSession,
    principal: Writer,
    outbox: CallbackOutbox,
) -> Response:
    """After an outage: every event this endpoint failed to get since `since`, sent again
    once (skipping those delivered or under way since)."""
    count = await deliveries.recover(session, principal, endpoint_id, body.since, outbox)
    return _accepted(RecoverResult(count=count).model_dump(), outbox)


@router.get(
    "/deliveries",
    summary="List deliveries",
    operation_id="listWebhookDeliveries",
    response_model=WebhookDeliveryList,
)
async def list_deliveries(
    params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Batch and run callbacks and endpoint deliveries together, newest first; `q` filters on
    `event_type`, `status_code`, `endpoint_id`, `batch_id`, `created_at` and more."""
    page, fields = await listing.list_deliveries(session, principal, params, codec)
    return page_response(page, fields)


@router.get("/deliveries/{id}", summary="Get a delivery", operation_id="getWebhookDelivery")
async def get_delivery(
    delivery_id: DeliveryId, session: ReadSession, principal: Reader
) -> WebhookDeliveryDetail:
    """One delivery with the exact bytes it sends and every attempt."""
    return await deliveries.read_delivery(session, principal, delivery_id)


@router.post(
    "/deliveries/{id}/redeliver",
    summary="Redeliver",
    operation_id="redeliverWebhookDelivery",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookDeliveryDetail,
)
async def redeliver(
    delivery_id: DeliveryId,
    request: Request,
    session: WriteSession,
    principal: Writer,
    outbox: CallbackOutbox,
    idempotency_key: IdempotencyKey,
) -> Response:
    """The same bytes again, as a new manual delivery with its own attempts."""
    return await deliver_once(
        request,
        session,
        principal,
        idempotency_key,
        outbox,
        lambda: deliveries.redeliver(session, principal, delivery_id, outbox),
    )


@events_router.get("", summary="List events", operation_id="listEvents", response_model=EventList)
async def list_events(
    params: ListQuery, codec: Cursors, session: ReadSession, principal: Reader
) -> Response:
    """Events some endpoint of yours was subscribed to when they happened, kept 30 days;
    `q` filters on `type` and `created_at`."""
    page, fields = await listing.list_events(session, principal, params, codec)
    return page_response(page, fields)


@events_router.get("/{id}", summary="Get an event", operation_id="getEvent")
async def get_event(event_id: EventId, session: ReadSession, principal: Reader) -> EventRead:
    return await event_log.read_event(session, principal, event_id)

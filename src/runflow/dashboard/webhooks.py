"""Webhook pages: add an endpoint; on its page edit it, enable or disable it, send a test event,
reveal or rotate its signing secret, recover what failed during an outage, delete it; and the
delivery history with Redeliver (DESIGN §15, §19).

Every change goes through the API, so a page shows the API's own messages next to the fields
they are about. Secrets are never put in a URL: revealing one is a POST whose answer is the page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from runflow.dashboard.api import ApiProblem
from runflow.dashboard.page import Filters, ListFilters, Page, SignedInPage

router = APIRouter()

ALL_EVENTS = "*"
_NOTICES = {
    "created": "Endpoint created. Reveal its signing secret to verify what it receives.",
    "updated": "Endpoint saved.",
    "enabled": "Enabled: new events are delivered to it again. Recover sends what it missed.",
    "disabled": "Disabled: it gets no new events until it is enabled again.",
    "rotated": "Secret rotated. The previous one keeps signing beside it for 24 hours.",
    "deleted": "Endpoint deleted. Its delivery history stays below.",
}


def _endpoint_body(form: FormData) -> dict[str, Any]:
    """An endpoint's fields from its form: all events, or the types ticked."""
    types = [str(value) for value in form.getlist("event_types")]
    description = str(form.get("description") or "").strip()
    return {
        "url": str(form.get("url") or "").strip(),
        "description": description or None,
        "event_types": [ALL_EVENTS] if ALL_EVENTS in types else types,
    }


def _notice(done: str | None, count: int | None) -> str | None:
    if done == "recovered":
        sent = count or 0
        return f"{sent} failed deliver{'y' if sent == 1 else 'ies'} sent again."
    return _NOTICES.get(done or "")


async def _event_types(page: Page) -> list[dict[str, Any]]:
    catalogue = await page.api.get("/v1/webhooks/event-types")
    types: list[dict[str, Any]] = catalogue["items"]
    return types


@router.get("/webhooks")
async def webhooks_page(
    page: SignedInPage, filters: Filters, done: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    return await _webhooks(page, filters, notice=_notice(done, None))


async def _webhooks(
    page: Page,
    filters: ListFilters,
    *,
    notice: str | None = None,
    values: dict[str, Any] | None = None,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    endpoints = await page.api.get("/v1/webhooks/endpoints", limit=20)
    deliveries, list_problem = await page.listing("/v1/webhooks/deliveries", filters, limit=50)
    return page.render(
        "webhooks.html",
        status_code,
        endpoints=endpoints["items"],
        event_types=await _event_types(page),
        listing=deliveries,
        problem=list_problem,
        filters=filters,
        notice=notice,
        values=values or {},
        form_problem=problem,
        errors=problem.field_errors(("body",)) if problem else {},
    )


@router.post("/webhooks/endpoints")
async def create_endpoint(page: SignedInPage) -> Response:
    body = _endpoint_body(await page.form())
    try:
        created = await page.api.post("/v1/webhooks/endpoints", json=body)
    except ApiProblem as problem:
        if problem.status == 403:
            raise
        return await _webhooks(
            page, ListFilters(), values=body, problem=problem, status_code=problem.status
        )
    return RedirectResponse(f"/dashboard/webhooks/endpoints/{created['id']}?done=created", 303)


async def _endpoint(
    page: Page,
    endpoint_id: uuid.UUID,
    *,
    cursor: ListFilters | None = None,
    notice: str | None = None,
    secret: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    endpoint = await page.api.get(f"/v1/webhooks/endpoints/{endpoint_id}")
    filters = ListFilters(q=f'endpoint_id = "{endpoint_id}"')
    if cursor is not None:
        filters.pq, filters.from_prev = cursor.pq, cursor.from_prev
    deliveries = await page.api.get("/v1/webhooks/deliveries", **filters.params(), limit=25)
    return page.render(
        "endpoint.html",
        status_code,
        endpoint=endpoint,
        event_types=await _event_types(page),
        listing=deliveries,
        notice=notice,
        secret=secret,
        values=values or endpoint,
        form_problem=problem,
        errors=problem.field_errors(("body",)) if problem else {},
        recover_since=(datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    )


@router.get("/webhooks/endpoints/{endpoint_id}")
async def endpoint_page(
    page: SignedInPage,
    endpoint_id: uuid.UUID,
    filters: Filters,
    done: Annotated[str | None, Query()] = None,
    count: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    return await _endpoint(page, endpoint_id, cursor=filters, notice=_notice(done, count))


def _back_to(endpoint_id: uuid.UUID, done: str) -> str:
    return f"/dashboard/webhooks/endpoints/{endpoint_id}?done={done}"


@router.post("/webhooks/endpoints/{endpoint_id}")
async def update_endpoint(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    body = _endpoint_body(await page.form())
    try:
        await page.api.patch(f"/v1/webhooks/endpoints/{endpoint_id}", json=body)
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        return await _endpoint(
            page, endpoint_id, values=body, problem=problem, status_code=problem.status
        )
    return RedirectResponse(_back_to(endpoint_id, "updated"), 303)


@router.post("/webhooks/endpoints/{endpoint_id}/enable")
async def enable_endpoint(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    path = f"/v1/webhooks/endpoints/{endpoint_id}"
    return await page.act(
        path, lambda _: _back_to(endpoint_id, "enabled"), {"enabled": True}, method="PATCH"
    )


@router.post("/webhooks/endpoints/{endpoint_id}/disable")
async def disable_endpoint(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    path = f"/v1/webhooks/endpoints/{endpoint_id}"
    return await page.act(
        path, lambda _: _back_to(endpoint_id, "disabled"), {"enabled": False}, method="PATCH"
    )


@router.post("/webhooks/endpoints/{endpoint_id}/test")
async def test_endpoint(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/webhooks/endpoints/{endpoint_id}/test",
        lambda delivery: f"/dashboard/webhooks/deliveries/{delivery['id']}",
    )


@router.post("/webhooks/endpoints/{endpoint_id}/secret")
async def reveal_secret(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    await page.form()
    secret = await page.api.get(f"/v1/webhooks/endpoints/{endpoint_id}/secret")
    return await _endpoint(page, endpoint_id, secret=secret)


@router.post("/webhooks/endpoints/{endpoint_id}/secret/rotate")
async def rotate_secret(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/webhooks/endpoints/{endpoint_id}/secret/rotate",
        lambda _: _back_to(endpoint_id, "rotated"),
    )


@router.post("/webhooks/endpoints/{endpoint_id}/recover")
async def recover_endpoint(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    """`since` comes from a `datetime-local` field, read as UTC (the label says so)."""
    form = await page.form()
    try:
        since = datetime.fromisoformat(str(form.get("since") or "")).replace(tzinfo=UTC)
    except ValueError:
        problem = ApiProblem(422, "VALIDATION_ERROR", "Give the date and time to recover from.")
        return await _endpoint(page, endpoint_id, problem=problem, status_code=422)
    path = f"/v1/webhooks/endpoints/{endpoint_id}/recover"
    try:
        recovered = await page.api.post(path, json={"since": since.isoformat()})
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        return await _endpoint(page, endpoint_id, problem=problem, status_code=problem.status)
    target = f"{_back_to(endpoint_id, 'recovered')}&count={recovered['count']}"
    return RedirectResponse(target, 303)


@router.post("/webhooks/endpoints/{endpoint_id}/delete")
async def delete_endpoint(page: SignedInPage, endpoint_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/webhooks/endpoints/{endpoint_id}",
        lambda _: "/dashboard/webhooks?done=deleted",
        method="DELETE",
    )


@router.get("/webhooks/deliveries/{delivery_id}")
async def delivery_page(page: SignedInPage, delivery_id: uuid.UUID) -> HTMLResponse:
    delivery = await page.api.get(f"/v1/webhooks/deliveries/{delivery_id}")
    return page.render("delivery.html", delivery=delivery)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver")
async def redeliver_delivery(page: SignedInPage, delivery_id: uuid.UUID) -> Response:
    return await page.act(
        f"/v1/webhooks/deliveries/{delivery_id}/redeliver",
        lambda new: f"/dashboard/webhooks/deliveries/{new['id']}",
    )

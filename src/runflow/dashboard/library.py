"""Pages of the other areas: media (with uploads), evaluations, webhook endpoints and
deliveries, and the credit ledger."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from runflow.dashboard.api import ApiProblem
from runflow.dashboard.page import SignedInPage

router = APIRouter()
Text = Annotated[str | None, Query()]


async def _listing(
    page: SignedInPage, path: str, **params: Any
) -> tuple[dict[str, Any], ApiProblem | None]:
    """A list page's rows; a bad `q` or cursor is shown on the page, not as an error page."""
    if params.pop("from_prev", False):
        params["from_prev"] = "true"
    try:
        return await page.api.get(path, **params), None
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            raise
        return {"items": []}, problem


@router.get("/media")
async def media_page(
    page: SignedInPage,
    folder: Text = None,
    q: Text = None,
    pq: Text = None,
    from_prev: bool = False,
) -> HTMLResponse:
    listing, problem = await _listing(
        page, "/v1/media", folder=folder, q=q, pq=pq, from_prev=from_prev, limit=48
    )
    return page.render(
        "media.html", listing=listing, problem=problem, folder=folder or "", q=q or ""
    )


@router.post("/media")
async def upload_media(page: SignedInPage) -> Response:
    form = await page.form()
    folder = str(form.get("folder") or "").strip() or None
    files = [
        item for item in form.getlist("files") if isinstance(item, UploadFile) and item.filename
    ]
    if not files:
        listing, _ = await _listing(page, "/v1/media", folder=folder, limit=48)
        return page.render(
            "media.html",
            422,
            listing=listing,
            problem=None,
            folder=folder or "",
            q="",
            upload_error="Choose at least one file to upload.",
        )
    for upload in files:
        data = await upload.read()
        fields = {"folder": folder} if folder else None
        try:
            await page.api.post(
                "/v1/media",
                files={"file": (upload.filename, data, upload.content_type)},
                data=fields,
            )
        except ApiProblem as problem:
            listing, _ = await _listing(page, "/v1/media", folder=folder, limit=48)
            return page.render(
                "media.html",
                problem.status,
                listing=listing,
                problem=None,
                folder=folder or "",
                q="",
                upload_error=f"{upload.filename}: {problem.message}",
            )
    target = "/dashboard/media" + (f"?folder={folder}" if folder else "")
    return RedirectResponse(target, status_code=303)


@router.get("/evaluations")
async def evaluations_page(
    page: SignedInPage, q: Text = None, pq: Text = None, from_prev: bool = False
) -> HTMLResponse:
    listing, problem = await _listing(
        page, "/v1/evaluations", q=q, pq=pq, from_prev=from_prev, limit=50
    )
    return page.render("evaluations.html", listing=listing, problem=problem, q=q or "")


@router.get("/webhooks")
async def webhooks_page(
    page: SignedInPage, q: Text = None, pq: Text = None, from_prev: bool = False
) -> HTMLResponse:
    endpoints = await page.api.get("/v1/webhooks/endpoints", limit=20)
    deliveries, problem = await _listing(
        page, "/v1/webhooks/deliveries", q=q, pq=pq, from_prev=from_prev, limit=50
    )
    return page.render(
        "webhooks.html",
        endpoints=endpoints["items"],
        listing=deliveries,
        problem=problem,
        q=q or "",
    )


@router.get("/webhooks/deliveries/{delivery_id}")
async def delivery_page(page: SignedInPage, delivery_id: uuid.UUID) -> HTMLResponse:
    delivery = await page.api.get(f"/v1/webhooks/deliveries/{delivery_id}")
    return page.render("delivery.html", delivery=delivery)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver")
async def redeliver_delivery(page: SignedInPage, delivery_id: uuid.UUID) -> Response:
    await page.form()
    try:
        new = await page.api.post(f"/v1/webhooks/deliveries/{delivery_id}/redeliver")
    except ApiProblem as problem:
        return page.render("error.html", problem.status, message=problem.message)
    return RedirectResponse(f"/dashboard/webhooks/deliveries/{new['id']}", status_code=303)


@router.get("/credits")
async def credits_page(
    page: SignedInPage, q: Text = None, pq: Text = None, from_prev: bool = False
) -> HTMLResponse:
    listing, problem = await _listing(
        page, "/v1/account/credit-transactions", q=q, pq=pq, from_prev=from_prev, limit=50
    )
    return page.render("credits.html", listing=listing, problem=problem, q=q or "")

"""Pages of the other areas: media (with uploads) and the credit ledger (evaluations and
webhooks have modules of their own)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from runflow.dashboard.api import ApiProblem
from runflow.dashboard.page import Filters, ListFilters, SignedInPage

router = APIRouter()
Text = Annotated[str | None, Query()]


def _media(
    page: SignedInPage,
    listing: dict[str, Any],
    folder: str | None,
    *,
    filters: ListFilters | None = None,
    problem: ApiProblem | None = None,
    upload_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "media.html",
        status_code,
        listing=listing,
        problem=problem,
        folder=folder or "",
        filters=filters or ListFilters(),
        upload_error=upload_error,
    )


@router.get("/media")
async def media_page(page: SignedInPage, filters: Filters, folder: Text = None) -> HTMLResponse:
    listing, problem = await page.listing("/v1/media", filters, folder=folder, limit=48)
    return _media(page, listing, folder, filters=filters, problem=problem)


@router.post("/media")
async def upload_media(page: SignedInPage) -> Response:
    form = await page.form()
    folder = str(form.get("folder") or "").strip() or None
    files = [
        item for item in form.getlist("files") if isinstance(item, UploadFile) and item.filename
    ]
    if not files:
        listing, _ = await page.listing("/v1/media", ListFilters(), folder=folder, limit=48)
        return _media(
            page, listing, folder, upload_error="Choose a file to upload.", status_code=422
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
            listing, _ = await page.listing("/v1/media", ListFilters(), folder=folder, limit=48)
            failed = f"{upload.filename}: {problem.message}"
            return _media(page, listing, folder, upload_error=failed, status_code=problem.status)
    target = "/dashboard/media" + (f"?folder={folder}" if folder else "")
    return RedirectResponse(target, status_code=303)


@router.get("/credits")
async def credits_page(page: SignedInPage, filters: Filters) -> HTMLResponse:
    listing, problem = await page.listing("/v1/account/credit-transactions", filters, limit=50)
    return page.render("credits.html", listing=listing, problem=problem, filters=filters)

"""Evaluation pages: the list, a form to evaluate an image (uploaded, or a media id or https
URL) with a prompt and a least score, and one evaluation's verdict, issues and measurements,
refreshed until it ends (DESIGN §14, §19)."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from runflow.dashboard.api import ApiProblem
from runflow.dashboard.page import Filters, ListFilters, Page, SignedInPage

router = APIRouter()
UNFINISHED = frozenset({"queued", "running"})


async def _evaluations(
    page: Page,
    filters: ListFilters,
    *,
    values: dict[str, Any] | None = None,
    problem: ApiProblem | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    listing, list_problem = await page.listing("/v1/evaluations", filters, limit=50)
    errors = problem.field_errors(("body",)) if problem else {}
    if problem:
        errors |= problem.field_errors(("body", "criteria"))
    return page.render(
        "evaluations.html",
        status_code,
        listing=listing,
        problem=list_problem,
        filters=filters,
        values=values or {},
        form_problem=problem,
        errors=errors,
    )


@router.get("/evaluations")
async def evaluations_page(page: SignedInPage, filters: Filters) -> HTMLResponse:
    return await _evaluations(page, filters)


async def _image(form: FormData) -> str:
    """A picked file travels as a data URI, so an evaluation the API refuses leaves nothing
    behind (no upload without its evaluation); else the media id or URL typed."""
    upload = form.get("image_file")
    if isinstance(upload, UploadFile) and upload.filename:
        encoded = base64.b64encode(await upload.read()).decode()
        return f"data:{upload.content_type or 'application/octet-stream'};base64,{encoded}"
    return str(form.get("image") or "").strip()


def _body(form: FormData, image: str) -> dict[str, Any]:
    body: dict[str, Any] = {"image": image}
    if prompt := str(form.get("prompt") or "").strip():
        body["prompt"] = prompt
    min_score = str(form.get("min_score") or "").strip()
    if min_score:
        try:
            body["criteria"] = {"min_score": float(min_score)}
        except ValueError:
            body["criteria"] = {"min_score": min_score}  # the API says what is wrong
    return body


@router.post("/evaluations")
async def create_evaluation(page: SignedInPage) -> Response:
    form = await page.form()
    values = {key: form.get(key) for key in ("image", "prompt", "min_score")}
    try:
        created = await page.api.post("/v1/evaluations", json=_body(form, await _image(form)))
    except ApiProblem as problem:
        if problem.status in (401, 403):
            raise
        return await _evaluations(
            page, ListFilters(), values=values, problem=problem, status_code=problem.status
        )
    return RedirectResponse(f"/dashboard/evaluations/{created['id']}", status_code=303)


@router.get("/evaluations/{evaluation_id}")
async def evaluation_page(
    page: SignedInPage,
    evaluation_id: uuid.UUID,
    part: Annotated[str | None, Query(pattern="^verdict$")] = None,
) -> HTMLResponse:
    """`part=verdict`: the verdict alone, which the page polls while the evaluation runs."""
    evaluation = await page.api.get(f"/v1/evaluations/{evaluation_id}")
    template = "evaluation_verdict.html" if part else "evaluation.html"
    unfinished = evaluation["status_code"] in UNFINISHED
    return page.render(template, evaluation=evaluation, unfinished=unfinished)

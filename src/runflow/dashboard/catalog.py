"""Model pages: the catalog, and each model's form that runs it once or as a batch."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from runflow.dashboard.api import ApiProblem
from runflow.dashboard.forms import fields_of, number_types, read_form, read_jsonl
from runflow.dashboard.page import SignedInPage

router = APIRouter()
MAX_COPIES = 100


@router.get("/models")
async def model_list(page: SignedInPage) -> HTMLResponse:
    catalog = await page.api.get("/v1/models")
    return page.render("models.html", models=catalog["items"])


def _model_form(
    page: SignedInPage,
    model: dict[str, Any],
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    jsonl_error: str | None = None,
    jsonl: str = "",
) -> HTMLResponse:
    return page.render(
        "model.html",
        status_code,
        model=model,
        fields=fields_of(model),
        values=values or {},
        errors=errors or {},
        message=message,
        jsonl_error=jsonl_error,
        jsonl=jsonl,
    )


@router.get("/models/{owner}/{slug}")
async def model_page(page: SignedInPage, owner: str, slug: str) -> HTMLResponse:
    return _model_form(page, await page.api.get(f"/v1/models/{owner}/{slug}"))


async def _upload(page: SignedInPage, upload: UploadFile) -> str:
    data = await upload.read()
    media = await page.api.post(
        "/v1/media",
        files={"file": (upload.filename or "upload", data, upload.content_type)},
    )
    return str(media["id"])


def _copies(form: FormData) -> int | None:
    try:
        copies = int(str(form.get("copies", "1")))
    except ValueError:
        return None
    return copies if 1 <= copies <= MAX_COPIES else None


@router.post("/models/{owner}/{slug}/run")
async def run_model(page: SignedInPage, owner: str, slug: str) -> Response:
    """The form's values, run once (`mode=once`) or as a batch of `copies` items."""
    form = await page.form()
    model = await page.api.get(f"/v1/models/{owner}/{slug}")
    fields = fields_of(model)
    submitted = read_form(fields, form, number_types(model))
    shown = {key: value for key, value in form.items() if isinstance(value, str)}
    copies = _copies(form)
    if copies is None:
        submitted.errors["copies"] = f"Enter a whole number from 1 to {MAX_COPIES}."
    if submitted.errors:
        return _model_form(page, model, status_code=422, values=shown, errors=submitted.errors)
    try:
        for name, upload in submitted.files.items():
            submitted.values[name] = await _upload(page, upload)
        base = f"/v1/models/{owner}/{slug}"
        if form.get("mode") == "batch":
            batch = await page.api.post(
                f"{base}/batches", json={"input": [submitted.values] * (copies or 1)}
            )
            return RedirectResponse(f"/dashboard/batches/{batch['id']}", status_code=303)
        run = await page.api.post(f"{base}/runs", json={"input": submitted.values})
    except ApiProblem as problem:
        errors = problem.field_errors()
        return _model_form(
            page,
            model,
            status_code=problem.status,
            values=shown,
            errors=errors,
            message=problem.message,
        )
    return RedirectResponse(f"/dashboard/runs/{run['id']}", status_code=303)


@router.post("/models/{owner}/{slug}/batch")
async def run_jsonl(page: SignedInPage, owner: str, slug: str) -> Response:
    """A batch from pasted or uploaded JSON Lines, one item per line."""
    form = await page.form()
    model = await page.api.get(f"/v1/models/{owner}/{slug}")
    text = str(form.get("jsonl") or "")
    upload = form.get("jsonl_file")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            text = (await upload.read()).decode("utf-8")
        except UnicodeDecodeError:
            return _model_form(
                page, model, status_code=422, jsonl_error="The file is not UTF-8 text."
            )
    items, lines, problem_text = read_jsonl(text)
    if problem_text:
        return _model_form(page, model, status_code=422, jsonl_error=problem_text, jsonl=text)
    try:
        batch = await page.api.post(f"/v1/models/{owner}/{slug}/batches", json={"input": items})
    except ApiProblem as problem:
        details = "; ".join(
            f"line {lines[loc[2]]}: {'.'.join(map(str, loc[3:]))} {error.get('msg', '')}"
            if len(loc := error.get("loc", [])) > 2 and isinstance(loc[2], int)
            else str(error.get("msg", ""))
            for error in problem.errors
        )
        message = f"{problem.message} {details}".strip()
        return _model_form(page, model, status_code=problem.status, jsonl_error=message, jsonl=text)
    return RedirectResponse(f"/dashboard/batches/{batch['id']}", status_code=303)

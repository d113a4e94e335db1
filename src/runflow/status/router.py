"""`/v1/status/health` (the process answers) and `/v1/status/ready` (it can serve traffic)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from runflow.db.engine import Database
from runflow.db.migrate import head_revision
from runflow.errors import ApiError, ErrorResponse, error_json

router = APIRouter(prefix="/v1/status", tags=["Status"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    database: Literal["ok"]
    schema_revision: str


class NotReady(ApiError):
    status_code = 503
    code = "NOT_READY"


@router.get("/health", summary="Liveness probe", operation_id="getHealth")
async def health() -> Health:
    """The process is up. Does not touch the database."""
    return Health(status="ok")


@router.get(
    "/ready",
    summary="Readiness probe",
    operation_id="getReady",
    responses={503: {"model": ErrorResponse, "description": "Not ready"}},
    response_model=Readiness,
)
async def ready(request: Request) -> Readiness | JSONResponse:
    """The database answers and its schema is at the revision this code expects."""
    database: Database = request.app.state.database
    try:
        async with database.transaction(write=False) as session:
            revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        return error_json(NotReady(f"The database is unreachable: {type(exc).__name__}."))
    head = head_revision()
    if revision != head:
        return error_json(
            NotReady(
                f"The database schema is at {revision}, expected {head}; run `runflow migrate`."
            )
        )
    return Readiness(status="ready", database="ok", schema_revision=head)

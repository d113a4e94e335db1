"""`GET /v1/evaluations` through the query kit: the org's runs of `runflow/image-quality`,
with the verdict's `passed` and `score` filterable and sortable out of the run's output."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.evaluations import service, shape
from runflow.evaluations.schemas import EvaluationList, EvaluationRead
from runflow.media.signing import UrlSigner
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listing, ListParams, read_list
from runflow.query.projection import Columns
from runflow.runs.models import Run, RunStatus

# Computed fields name the columns they are made from (see `runflow.query.projection`).
_FROM_OUTPUT = (Run.output,)
_FROM_INPUT = (Run.input,)

_COLUMNS: Columns = {
    "id": Run.id,
    "org_id": Run.org_id,
    "status_code": Run.status_code,
    "passed": _FROM_OUTPUT,
    "score": _FROM_OUTPUT,
    "issues": _FROM_OUTPUT,
    "metrics": _FROM_OUTPUT,
    "media_id": _FROM_INPUT,
    "image_url": _FROM_INPUT,
    "prompt": _FROM_INPUT,
    "criteria": _FROM_INPUT,
    "metadata": Run.metadata_,
    "cost": Run.cost,
    "created_at": Run.created_at,
    "started_at": Run.started_at,
    "completed_at": Run.completed_at,
    "failure_code": Run.failure_code,
    "failure_message": Run.failure_message,
    "links": (Run.id,),
}

EVALUATIONS = Listing(
    name="evaluations",
    filters={
        "id": Field(Run.id, Kind.UUID, sortable=True, unique=True),
        "status_code": Field(Run.status_code, Kind.ENUM, choices=tuple(RunStatus), sortable=True),
        "passed": Field(Run.output["passed"].as_boolean(), Kind.BOOLEAN, nullable=True),
        "score": Field(Run.output["score"].as_float(), Kind.DECIMAL, nullable=True, sortable=True),
        "failure_code": Field(Run.failure_code, Kind.STRING, nullable=True),
        "created_at": Field(Run.created_at, Kind.TIMESTAMP, sortable=True),
        "completed_at": Field(Run.completed_at, Kind.TIMESTAMP, nullable=True, sortable=True),
    },
    default_sort="created_at:desc",
    columns=_COLUMNS,
)


async def list_evaluations(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    codec: CursorCodec,
    signer: UrlSigner,
    url_ttl: timedelta,
) -> tuple[EvaluationList, frozenset[str]]:
    org_id = principal.org_id
    model_id = await service.model_id(session, principal)
    listed = await read_list(
        session,
        EVALUATIONS,
        params,
        codec,
        parent=org_id,
        where=(Run.org_id == org_id) & (Run.model_id == model_id),
    )
    fields = listed.request.fields
    inputs = [row["input"] for row in listed.rows if "input" in row]
    image_urls = await shape.ImageUrls.of(session, signer, url_ttl, inputs)
    items = []
    for values, row in zip(listed.values, listed.rows, strict=True):
        computed: dict[str, Any] = {}
        if "output" in row:
            computed |= shape.output_fields(row["output"])
        if "input" in row:
            computed |= shape.input_fields(row["input"], org_id, image_urls)
        if "links" in fields:
            computed["links"] = shape.links(row["id"])
        chosen = {name: value for name, value in computed.items() if name in fields}
        items.append(EvaluationRead.model_construct(**values, **chosen))
    return EvaluationList(items=items, **listed.cursors), fields

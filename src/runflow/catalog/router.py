"""Catalog endpoints: browse models and read one model's declarations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request

from runflow.auth.dependencies import Reader
from runflow.catalog import repository
from runflow.catalog.availability import as_shown
from runflow.catalog.schemas import ModelList, ModelRead
from runflow.config import Settings
from runflow.db.dependencies import ReadSession
from runflow.errors import ERROR_RESPONSES, NotFound

router = APIRouter(prefix="/v1/models", tags=["Models"], responses=ERROR_RESPONSES)

# The examples name `runflow/echo`, so the docs' "Try it out" (with the body examples) and tools
# that send the document's examples reach a real model.
OwnerPath = Annotated[
    str,
    Path(
        description="Owner (org slug) of the model.",
        openapi_examples={"runflow": {"summary": "The built-in models", "value": "runflow"}},
    ),
]
SlugPath = Annotated[
    str,
    Path(
        description="Slug of the model.",
        openapi_examples={"echo": {"summary": "Echo, the diagnostic model", "value": "echo"}},
    ),
]


def _alive_within(request: Request) -> timedelta:
    """A worker is live while its heartbeat is within the lease, as for its runs."""
    settings: Settings = request.app.state.settings
    return timedelta(seconds=settings.lease_s)


@router.get("", summary="List models", operation_id="listModels")
async def list_models(request: Request, session: ReadSession, principal: Reader) -> ModelList:
    """The models you can run: the public catalog and your organization's own.

    `availability_status` is `offline` for a model no live worker serves: its runs wait."""
    models = await repository.list_models(session, principal.org_id)
    return ModelList(items=await as_shown(session, models, _alive_within(request)))


@router.get("/{owner}/{slug}", summary="Get model", operation_id="getModel")
async def get_model(
    owner: OwnerPath, slug: SlugPath, request: Request, session: ReadSession, principal: Reader
) -> ModelRead:
    """One model with its inputs, outputs, pricing rules, examples and FAQ."""
    model = await repository.get_model(session, principal.org_id, owner, slug)
    if model is None:
        raise NotFound(f"Model {owner}/{slug} does not exist.")
    (shown,) = await as_shown(session, [model], _alive_within(request))
    return shown

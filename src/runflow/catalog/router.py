"""Catalog endpoints: browse models and read one model's declarations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from runflow.auth.dependencies import Reader
from runflow.catalog import repository
from runflow.catalog.schemas import ModelList, ModelRead
from runflow.db.dependencies import ReadSession
from runflow.errors import ERROR_RESPONSES, NotFound

router = APIRouter(prefix="/v1/models", tags=["Models"], responses=ERROR_RESPONSES)

OwnerPath = Annotated[str, Path(description="Owner (org slug) of the model.")]
SlugPath = Annotated[str, Path(description="Slug of the model.")]


@router.get("", summary="List models", operation_id="listModels")
async def list_models(session: ReadSession, principal: Reader) -> ModelList:
    """The models you can run: the public catalog and your organization's own."""
    models = await repository.list_models(session, principal.org_id)
    return ModelList(items=[ModelRead.model_validate(model) for model in models])


@router.get("/{owner}/{slug}", summary="Get model", operation_id="getModel")
async def get_model(
    owner: OwnerPath, slug: SlugPath, session: ReadSession, principal: Reader
) -> ModelRead:
    """One model with its inputs, outputs, pricing rules, examples and FAQ."""
    model = await repository.get_model(session, principal.org_id, owner, slug)
    if model is None:
        raise NotFound(f"Model {owner}/{slug} does not exist.")
    return ModelRead.model_validate(model)

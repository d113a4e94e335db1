"""Catalog queries. A model is visible to an org when it is public or the org owns it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from runflow.catalog.models import Model

_FULL_MODEL = (
    selectinload(Model.inputs),
    selectinload(Model.outputs),
    selectinload(Model.examples),
    selectinload(Model.faq_entries),
    selectinload(Model.pricing),
    selectinload(Model.related_links),
)


def _visible_to(org_id: uuid.UUID) -> Select[Model]:
    return select(Model).where(
        Model.deleted_at.is_(None), or_(Model.is_public.is_(True), Model.org_id == org_id)
    )


async def list_models(session: AsyncSession, org_id: uuid.UUID) -> Sequence[Model]:
    statement = _visible_to(org_id).options(*_FULL_MODEL).order_by(Model.owner, Model.slug)
    return (await session.scalars(statement)).all()


async def models_by_id(session: AsyncSession, ids: Collection[uuid.UUID]) -> Sequence[Model]:
    """Models with everything they show, by id, deleted or not: runs keep their model."""
    if not ids:
        return []
    statement = select(Model).where(Model.id.in_(list(ids))).options(*_FULL_MODEL)
    return (await session.scalars(statement)).all()


async def get_model(
    session: AsyncSession, org_id: uuid.UUID, owner: str, slug: str, *, full: bool = True
) -> Model | None:
    """The model at `owner/slug`; `full=False` loads only its input declarations and pricing
    rules (joined into the same query: creating a batch reads them on every request)."""
    options = _FULL_MODEL if full else (joinedload(Model.inputs), joinedload(Model.pricing))
    statement = _visible_to(org_id).where(Model.owner == owner, Model.slug == slug)
    result = await session.scalars(statement.options(*options))
    return result.unique().one_or_none()

"""What the dispatcher needs to know about a model to run and price it, cached per process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from runflow.catalog.models import Model
from runflow.engine.pricing import PriceRule


@dataclass(frozen=True)
class ModelRuntime:
    name: str  # "owner/slug"
    timeout_s: float
    max_retries: int
    price_rules: tuple[PriceRule, ...]


async def load_runtimes(session: AsyncSession) -> dict[uuid.UUID, ModelRuntime]:
    models = await session.scalars(select(Model).options(selectinload(Model.pricing)))
    return {
        model.id: ModelRuntime(
            name=f"{model.owner}/{model.slug}",
            timeout_s=model.timeout_s,
            max_retries=model.max_retries,
            price_rules=tuple(
                PriceRule(
                    id=str(rule.id),
                    price=rule.price,
                    unit_code=rule.unit_code,
                    currency_code=rule.currency_code,
                    dimension_code=rule.dimension_code,
                    multiplier_label=rule.multiplier_label,
                    description=rule.description,
                )
                for rule in model.pricing
                if rule.disabled_at is None
            ),
        )
        for model in models
    }

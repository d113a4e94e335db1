"""What the dispatcher needs to know about a model to run and price it, cached per process."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from runflow.catalog.declarations import VariableType
from runflow.catalog.models import Model
from runflow.catalog.pricing import PriceRule, live_rules

_MEDIA_TYPES = (VariableType.IMAGE, VariableType.VIDEO)


@dataclass(frozen=True)
class ModelRuntime:
    name: str  # "owner/slug"
    timeout_s: float
    max_retries: int
    price_rules: tuple[PriceRule, ...]
    # Which provider runs it (a key of the dispatcher's providers) and with which settings.
    provider_code: str = "builtin"
    provider_settings: Mapping[str, Any] = field(default_factory=dict)
    media_inputs: Mapping[str, str] = field(default_factory=dict)
    # Runs at once per worker (None: no limit); seconds a run may wait for a worker.
    concurrency: int | None = None
    queue_timeout_s: float | None = None


async def load_runtimes(session: AsyncSession) -> dict[uuid.UUID, ModelRuntime]:
    models = await session.scalars(
        select(Model).options(selectinload(Model.pricing), selectinload(Model.inputs))
    )
    return {
        model.id: ModelRuntime(
            name=f"{model.owner}/{model.slug}",
            timeout_s=model.timeout_s,
            max_retries=model.max_retries,
            price_rules=live_rules(model.pricing),
            provider_code=model.provider_code,
            provider_settings=model.provider_settings or {},
            media_inputs={
                declared.name: declared.variable_type_code
                for declared in model.inputs
                if declared.variable_type_code in _MEDIA_TYPES
            },
            concurrency=model.concurrency,
            queue_timeout_s=model.queue_timeout_s,
        )
        for model in models
    }

"""A model's `availability_status` as the catalog shows it (DESIGN §13).

Stored: `available`, or `unavailable` once its models file no longer declares it (new runs are
refused). Shown: `offline` when it is available but no live worker serves it — runs are still
accepted and wait in the queue for one (or fail `NO_WORKER` after the model's
`queue_timeout_s`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.catalog.dispatch import UNAVAILABLE
from runflow.catalog.models import Model
from runflow.catalog.schemas import ModelRead
from runflow.kit.clock import utcnow
from runflow.workers.patterns import served_by_any
from runflow.workers.registry import live_model_patterns

OFFLINE = "offline"


async def as_shown(
    session: AsyncSession, models: Sequence[Model], alive_within: timedelta
) -> list[ModelRead]:
    """The models as the API shows them, each with its current availability."""
    live = await live_model_patterns(session, utcnow(), alive_within)
    shown = []
    for model in models:
        read = ModelRead.model_validate(model)
        if model.availability_status != UNAVAILABLE and not served_by_any(
            f"{model.owner}/{model.slug}", live
        ):
            read = read.model_copy(update={"availability_status": OFFLINE})
        shown.append(read)
    return shown

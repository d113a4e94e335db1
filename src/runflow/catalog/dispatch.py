"""The model a create request dispatches to, read from a short-lived cache.

Every batch and run creation looks its model up by `owner/slug` and checks its inputs; the
query, the ORM objects and the declarations' copies cost about as much as checking a
hundred items. The catalog changes only when the built-in models are registered (at start-up
or by `runflow migrate`), so a model found is kept for a few seconds per org. A model not found
is never cached: one registered a moment later is found at once.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.catalog import repository
from runflow.catalog.pricing import PriceRule, live_rules
from runflow.catalog.validation import Declaration
from runflow.errors import Conflict, NotFound

UNAVAILABLE = "unavailable"

TTL_S = 5.0
_MAX_ENTRIES = 1024


@dataclass(frozen=True)
class DispatchTarget:
    id: uuid.UUID
    version: str | None
    inputs: tuple[Declaration, ...]
    price_rules: tuple[PriceRule, ...] = ()
    # False once the model left its models file: it keeps its runs but takes no new ones.
    available: bool = True


_cache: dict[tuple[uuid.UUID, str, str], tuple[float, DispatchTarget]] = {}


def forget_targets() -> None:
    """Drop every cached target: the catalog was just registered again."""
    _cache.clear()


async def dispatch_target(
    session: AsyncSession, org_id: uuid.UUID, owner: str, slug: str
) -> DispatchTarget | None:
    """The model at `owner/slug` as `org_id` sees it, or None when there is none."""
    key = (org_id, owner, slug)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < TTL_S:
        return cached[1]
    model = await repository.get_model(session, org_id, owner, slug, full=False)
    if model is None:
        return None
    target = DispatchTarget(
        model.id,
        model.version,
        tuple(Declaration.of(declaration) for declaration in model.inputs),
        live_rules(model.pricing),
        available=model.availability_status != UNAVAILABLE,
    )
    if len(_cache) >= _MAX_ENTRIES:
        _cache.clear()
    _cache[key] = (now, target)
    return target


async def creatable_target(
    session: AsyncSession, org_id: uuid.UUID, owner: str, slug: str
) -> DispatchTarget:
    """The model new work goes to, or the error a create answers: 404 when `org_id` cannot
    see it, 409 `MODEL_UNAVAILABLE` when it left its models file."""
    model = await dispatch_target(session, org_id, owner, slug)
    if model is None:
        raise NotFound(f"Model {owner}/{slug} does not exist.")
    if not model.available:
        raise Conflict(
            f"Model {owner}/{slug} is unavailable: it is no longer in a models file.",
            code="MODEL_UNAVAILABLE",
        )
    return model

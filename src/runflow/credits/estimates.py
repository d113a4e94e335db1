"""Estimates: what runs will cost, worked out from their inputs before they run (DESIGN §16).

A pricing rule prices a usage figure the model reports when its run ends (`catalog/pricing.py`).
Before the run, each figure is read off the input, by the names the catalog uses:

- a figure named like a numeric input is that input (`steps`);
- `output_megapixels` is `width × height`, or the source image's pixels × `scale`²;
- `input_megapixels` is the pixels of the image inputs;
- `output_seconds` is `duration_s`.

An image is measured when it is a media id of the org (its stored size) or a data URI (its
header). A URL cannot be measured before it is fetched, so a figure that needs it is the
rule's `max_value`, as is any figure the input does not give. A figure with neither counts as
0 and the estimate says which (`unknown`): it is then a lower bound. For a model priced on what
its input states, the estimate is the cost the run will have.
"""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.catalog.declarations import VariableType
from runflow.catalog.dispatch import DispatchTarget
from runflow.catalog.pricing import PriceRule, usage_figure
from runflow.catalog.validation import Declaration
from runflow.kit.money import from_nanos, to_nanos
from runflow.media.models import Media

Size = tuple[int, int]  # width, height in pixels
_MEASURED_FIGURES = frozenset({"input_megapixels", "output_megapixels"})


@dataclass(frozen=True)
class Estimate:
    cost: Decimal
    # Figures neither the input nor the rule's maximum gives, counted as 0.
    unknown: frozenset[str] = frozenset()


def _megapixels(width: int, height: int) -> float:
    return width * height / 1e6  # as the models report it, so the estimate is their cost


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class Estimator:
    """Estimates runs of one model; `sizes` are the images measured beforehand, by value."""

    def __init__(
        self,
        rules: Sequence[PriceRule],
        inputs: Sequence[Declaration],
        sizes: Mapping[str, Size] | None = None,
    ) -> None:
        self.rules = rules
        self.images = [d.name for d in inputs if d.variable_type_code == VariableType.IMAGE]
        self.sizes = sizes or {}

    @property
    def measures_images(self) -> bool:
        """Whether the images of an input change its estimate (then measure them first)."""
        named = {
            name for rule in self.rules for name in (rule.dimension_code, rule.multiplier_label)
        }
        return bool(self.images) and bool(named & _MEASURED_FIGURES)

    def run(self, value: Mapping[str, Any]) -> Estimate:
        nanos = 0
        unknown: set[str] = set()
        for rule in self.rules:
            quantity = Decimal(1)
            for name in (rule.dimension_code, rule.multiplier_label):
                if name is None:
                    continue
                figure = self._figure(name, value)
                if figure is not None:
                    quantity *= usage_figure(figure)
                elif rule.max_value is not None and name == rule.dimension_code:
                    quantity *= rule.max_value
                else:
                    unknown.add(name)
                    quantity = Decimal(0)
            nanos += to_nanos(rule.price * quantity)
        return Estimate(from_nanos(nanos), frozenset(unknown))

    def _figure(self, name: str, value: Mapping[str, Any]) -> float | None:
        if (given := _number(value.get(name))) is not None:
            return given
        if name == "output_seconds":
            return _number(value.get("duration_s"))
        if name == "output_megapixels":
            width, height = _number(value.get("width")), _number(value.get("height"))
            if width is not None and height is not None:
                return _megapixels(int(width), int(height))
            scale = _number(value.get("scale"))
            source = self._one_size(value)
            if scale is not None and source is not None:
                return _megapixels(int(source[0] * scale), int(source[1] * scale))
        if name == "input_megapixels":
            sizes = [self.sizes.get(str(value.get(image))) for image in self.images]
            if sizes and all(size is not None for size in sizes):
                return sum(_megapixels(*size) for size in sizes if size is not None)
        return None

    def _one_size(self, value: Mapping[str, Any]) -> Size | None:
        if len(self.images) != 1:
            return None
        return self.sizes.get(str(value.get(self.images[0])))


async def measure_images(
    session: AsyncSession, org_id: uuid.UUID, references: Iterable[object]
) -> dict[str, Size]:
    """The size of each image reference that can be known without fetching it: the org's
    media ids (one query for all) and data URIs. URLs and unknown ids are left out."""
    sizes: dict[str, Size] = {}
    media_ids: dict[uuid.UUID, str] = {}
    for reference in references:
        if not isinstance(reference, str):
            continue
        if reference.startswith("data:"):
            if (size := _data_uri_size(reference)) is not None:
                sizes[reference] = size
            continue
        try:
            media_ids[uuid.UUID(reference)] = reference
        except ValueError:
            continue
    if media_ids:
        rows = await session.execute(
            select(Media.id, Media.width, Media.height).where(
                Media.org_id == org_id, Media.id.in_(list(media_ids))
            )
        )
        for media_id, width, height in rows:
            if width is not None and height is not None:
                sizes[media_ids[media_id]] = (width, height)
    return sizes


def _data_uri_size(value: str) -> Size | None:
    header, _, payload = value.partition(",")
    if not header.endswith(";base64"):
        return None
    try:
        with Image.open(io.BytesIO(base64.b64decode(payload, validate=True))) as image:
            width, height = image.size  # the header only: nothing is decoded
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
        return None
    return int(width), int(height)


async def estimate_inputs(
    session: AsyncSession,
    org_id: uuid.UUID,
    model: DispatchTarget,
    values: Sequence[Mapping[str, Any]],
) -> list[Estimate]:
    """Each of `values` (inputs resolved against `model`) estimated, their images measured
    first when that changes the estimate."""
    estimator = Estimator(model.price_rules, model.inputs)
    if estimator.measures_images:
        references = [value.get(name) for value in values for name in estimator.images]
        estimator.sizes = await measure_images(session, org_id, references)
    return [estimator.run(value) for value in values]

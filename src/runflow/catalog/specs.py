"""Catalog entries written as code: what `register_builtin_models` writes to the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runflow.catalog.declarations import DefaultBehavior, ValidatorCode, VariableType

_NO_DEFAULT = object()


@dataclass(frozen=True)
class InputSpec:
    name: str
    variable_type_code: VariableType
    description: str
    is_required: bool = False
    default: Any = _NO_DEFAULT
    default_behavior_code: DefaultBehavior | None = None
    validator_code: ValidatorCode | None = None
    validator_attrs: dict[str, Any] | None = None
    is_featured: bool = False

    @property
    def default_value(self) -> dict[str, Any] | None:
        return None if self.default is _NO_DEFAULT else {"value": self.default}

    @property
    def resolved_default_behavior(self) -> DefaultBehavior | None:
        if self.default_behavior_code is not None:
            return self.default_behavior_code
        return DefaultBehavior.USE_DEFAULT if self.default is not _NO_DEFAULT else None


@dataclass(frozen=True)
class OutputSpec:
    name: str
    variable_type_code: VariableType
    description: str


@dataclass(frozen=True)
class PricingSpec:
    pricing_model_code: str
    unit_code: str
    price: Decimal
    description: str
    dimension_code: str | None = None
    multiplier_label: str | None = None
    measurement_source: str = "usage"


@dataclass(frozen=True)
class ExampleSpec:
    title: str
    input: dict[str, Any]
    description: str | None = None


@dataclass(frozen=True)
class FaqSpec:
    question: str
    answer: str


@dataclass(frozen=True)
class ModelSpec:
    slug: str
    name: str
    description: str
    category_code: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    pricing: tuple[PricingSpec, ...]
    examples: tuple[ExampleSpec, ...] = ()
    faq: tuple[FaqSpec, ...] = ()
    version: str = "1"
    timeout_s: float = 300.0
    max_retries: int = 2
    extra: dict[str, Any] = field(default_factory=dict)

"""Catalog entries as values: what `register_models` writes to the database.

The built-in models are written as code (`builtin.py`); a models file is parsed into the same
specs (`models_file.py`), so both reach the catalog through one path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runflow.catalog.declarations import DefaultBehavior, ValidatorCode, VariableType

_NO_DEFAULT = object()
# The org of the built-in models; a models file may not use it (`models_file.py`).
BUILTIN_OWNER = "runflow"


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
    # The most `dimension_code` can be: what an estimate assumes when the input cannot tell.
    max_value: Decimal | None = None


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
    owner: str = BUILTIN_OWNER
    is_public: bool = True
    # Where its runs execute: `builtin` (this package's models) or `python` (a models file's
    # callable); the settings are the provider's own (`entry`, `setup`, the file's folder).
    provider_code: str = "builtin"
    provider_settings: dict[str, Any] | None = None
    concurrency: int | None = None
    queue_timeout_s: float | None = None

    @property
    def path(self) -> str:
        return f"{self.owner}/{self.slug}"

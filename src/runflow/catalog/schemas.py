"""Catalog response shapes, field for field as the contract's embedded `model` object."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from runflow.kit.schemas import MoneyString, Schema


class ModelInputRead(Schema):
    id: uuid.UUID
    model_id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    variable_type_code: str
    default_behavior_code: str | None
    validator_code: str | None
    validator_attrs: dict[str, Any] | None
    is_required: bool
    default_value: Any = Field(description="The default, or null when the input has none.")
    sort_order: int
    is_featured: bool
    created_at: datetime
    updated_at: datetime

    @field_validator("default_value", mode="before")
    @classmethod
    def _unwrap(cls, value: Any) -> Any:
        # Stored as {"value": …} so that a null default is distinguishable from none.
        return value.get("value") if isinstance(value, dict) else value


class ModelOutputRead(Schema):
    id: uuid.UUID
    model_id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    variable_type_code: str
    validator_code: str | None
    validator_attrs: dict[str, Any] | None
    sort_order: int
    created_at: datetime
    updated_at: datetime


class ModelExampleRead(Schema):
    id: uuid.UUID
    model_id: uuid.UUID
    title: str
    description: str | None
    input: dict[str, Any]
    output: dict[str, Any] | None
    status_code: int | None
    cost: MoneyString | None
    start_type: str | None
    timing: dict[str, Any] | None
    duration_ms: int | None
    total_ms: int | None
    thumbnail_url: str | None
    category_code: str | None
    is_featured: bool
    is_public: bool
    sort_order: int
    ran_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FaqEntryRead(Schema):
    id: uuid.UUID
    model_id: uuid.UUID
    question: str
    answer: str
    sort_order: int
    created_at: datetime
    updated_at: datetime


class PricingRuleRead(Schema):
    id: uuid.UUID
    model_id: uuid.UUID
    pricing_model_code: str
    rule_effect_code: str
    model_input_id: uuid.UUID | None
    match_value: Any = None
    dimension_code: str | None
    min_value: MoneyString | None
    max_value: MoneyString | None
    price: MoneyString
    currency_code: str
    unit_code: str
    multiplier_label: str | None
    description: str | None
    sort_order: int
    disabled_at: datetime | None
    measurement_source: str | None
    created_at: datetime
    updated_at: datetime


class RelatedLinkRead(Schema):
    id: uuid.UUID
    model_id: uuid.UUID
    related_model_id: uuid.UUID
    sort_order: int
    created_at: datetime


class ModelRead(Schema):
    """A catalog model with everything a client needs to call it."""

    id: uuid.UUID
    org_id: uuid.UUID
    owner: str
    model_creator_id: uuid.UUID | None
    slug: str
    name: str
    description: str | None
    version: str
    is_public: bool
    is_open_source: bool
    icon_url: str | None
    cover_url: str | None
    category_code: str | None
    status_code: str
    family_id: uuid.UUID | None
    family_variant_code: str | None
    param_count: str | None
    architecture: str | None
    license_code: str | None
    max_resolution: str | None
    lora_support: bool
    fine_tuning: bool
    supports_streaming: bool
    paper_url: str | None
    github_url: str | None
    is_official: bool
    availability_status: str | None
    seo: dict[str, Any] | None
    notable_features: list[Any] | None
    content: str | None
    pricing_note: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_by: uuid.UUID | None
    inputs: list[ModelInputRead]
    outputs: list[ModelOutputRead]
    examples: list[ModelExampleRead]
    faq_entries: list[FaqEntryRead]
    pricing: list[PricingRuleRead]
    related_links: list[RelatedLinkRead]


class ModelList(Schema):
    items: list[ModelRead]

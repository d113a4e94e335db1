"""Catalog tables: models with their declared inputs, outputs, pricing rules and examples."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from runflow.db.base import Base, CreatedAtMixin, IdMixin, TimestampsMixin


def _model_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)


class Model(IdMixin, TimestampsMixin, Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("owner", "slug"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"))
    # The owning org's slug, denormalised: it is the first segment of every model path.
    owner: Mapped[str] = mapped_column(String(64))
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(50), default="1")
    is_public: Mapped[bool] = mapped_column(default=False)
    is_open_source: Mapped[bool] = mapped_column(default=False)
    is_official: Mapped[bool] = mapped_column(default=False)
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    cover_url: Mapped[str | None] = mapped_column(String(2048))
    category_code: Mapped[str | None] = mapped_column(String(50))
    status_code: Mapped[str] = mapped_column(String(30), default="active")
    availability_status: Mapped[str | None] = mapped_column(String(30))
    model_creator_id: Mapped[uuid.UUID | None]
    family_id: Mapped[uuid.UUID | None]
    family_variant_code: Mapped[str | None] = mapped_column(String(50))
    param_count: Mapped[str | None] = mapped_column(String(50))
    architecture: Mapped[str | None] = mapped_column(String(100))
    license_code: Mapped[str | None] = mapped_column(String(50))
    max_resolution: Mapped[str | None] = mapped_column(String(50))
    lora_support: Mapped[bool] = mapped_column(default=False)
    fine_tuning: Mapped[bool] = mapped_column(default=False)
    supports_streaming: Mapped[bool] = mapped_column(default=False)
    paper_url: Mapped[str | None] = mapped_column(String(2048))
    github_url: Mapped[str | None] = mapped_column(String(2048))
    seo: Mapped[dict[str, Any] | None]
    notable_features: Mapped[list[Any] | None]
    content: Mapped[str | None] = mapped_column(Text)
    pricing_note: Mapped[str | None] = mapped_column(Text)
    # Engine knobs, per model: execution time limit and transient-failure retries.
    timeout_s: Mapped[float] = mapped_column(default=300.0)
    max_retries: Mapped[int] = mapped_column(default=2)
    # Where its runs execute (DESIGN §13): `builtin`, or a models file's provider with its
    # settings; workers read them to route each run.
    provider_code: Mapped[str] = mapped_column(String(30), default="builtin")
    provider_settings: Mapped[dict[str, Any] | None]
    concurrency: Mapped[int | None]
    queue_timeout_s: Mapped[float | None]
    created_by: Mapped[uuid.UUID | None]
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[uuid.UUID | None]

    inputs: Mapped[list[ModelInput]] = relationship(
        order_by="ModelInput.sort_order", lazy="raise", cascade="all, delete-orphan"
    )
    outputs: Mapped[list[ModelOutput]] = relationship(
        order_by="ModelOutput.sort_order", lazy="raise", cascade="all, delete-orphan"
    )
    pricing: Mapped[list[PricingRule]] = relationship(
        order_by="PricingRule.sort_order", lazy="raise", cascade="all, delete-orphan"
    )
    examples: Mapped[list[ModelExample]] = relationship(
        order_by="ModelExample.sort_order", lazy="raise", cascade="all, delete-orphan"
    )
    faq_entries: Mapped[list[FaqEntry]] = relationship(
        order_by="FaqEntry.sort_order", lazy="raise", cascade="all, delete-orphan"
    )
    related_links: Mapped[list[RelatedLink]] = relationship(
        order_by="RelatedLink.sort_order",
        lazy="raise",
        cascade="all, delete-orphan",
        foreign_keys="RelatedLink.model_id",
    )


class ModelInput(IdMixin, TimestampsMixin, Base):
    __tablename__ = "model_inputs"
    __table_args__ = (UniqueConstraint("model_id", "name"),)

    model_id: Mapped[uuid.UUID] = _model_fk()
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    variable_type_code: Mapped[str] = mapped_column(String(20))
    default_behavior_code: Mapped[str | None] = mapped_column(String(30))
    validator_code: Mapped[str | None] = mapped_column(String(30))
    validator_attrs: Mapped[dict[str, Any] | None]
    is_required: Mapped[bool] = mapped_column(default=False)
    # Wrapped as {"value": …} so a JSON null default differs from "no default".
    default_value: Mapped[dict[str, Any] | None]
    sort_order: Mapped[int] = mapped_column(default=0)
    is_featured: Mapped[bool] = mapped_column(default=False)


class ModelOutput(IdMixin, TimestampsMixin, Base):
    __tablename__ = "model_outputs"
    __table_args__ = (UniqueConstraint("model_id", "name"),)

    model_id: Mapped[uuid.UUID] = _model_fk()
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    variable_type_code: Mapped[str] = mapped_column(String(20))
    validator_code: Mapped[str | None] = mapped_column(String(30))
    validator_attrs: Mapped[dict[str, Any] | None]
    sort_order: Mapped[int] = mapped_column(default=0)


class PricingRule(IdMixin, TimestampsMixin, Base):
    __tablename__ = "model_pricing_rules"

    model_id: Mapped[uuid.UUID] = _model_fk()
    pricing_model_code: Mapped[str] = mapped_column(String(30))
    rule_effect_code: Mapped[str] = mapped_column(String(30), default="add")
    model_input_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("model_inputs.id", ondelete="SET NULL")
    )
    match_value: Mapped[dict[str, Any] | None]
    dimension_code: Mapped[str | None] = mapped_column(String(50))
    min_value: Mapped[Decimal | None]
    max_value: Mapped[Decimal | None]
    price: Mapped[Decimal]
    currency_code: Mapped[str] = mapped_column(String(3), default="USD")
    unit_code: Mapped[str] = mapped_column(String(30))
    multiplier_label: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]
    measurement_source: Mapped[str | None] = mapped_column(String(50))


class ModelExample(IdMixin, TimestampsMixin, Base):
    __tablename__ = "model_examples"

    model_id: Mapped[uuid.UUID] = _model_fk()
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    input: Mapped[dict[str, Any]]
    output: Mapped[dict[str, Any] | None]
    status_code: Mapped[int | None]
    cost: Mapped[Decimal | None]
    start_type: Mapped[str | None] = mapped_column(String(30))
    timing: Mapped[dict[str, Any] | None]
    duration_ms: Mapped[int | None]
    total_ms: Mapped[int | None]
    thumbnail_url: Mapped[str | None] = mapped_column(String(2048))
    category_code: Mapped[str | None] = mapped_column(String(50))
    is_featured: Mapped[bool] = mapped_column(default=False)
    is_public: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    ran_at: Mapped[datetime | None]


class FaqEntry(IdMixin, TimestampsMixin, Base):
    __tablename__ = "model_faq_entries"

    model_id: Mapped[uuid.UUID] = _model_fk()
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)


class RelatedLink(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "model_related_links"

    model_id: Mapped[uuid.UUID] = _model_fk()
    related_model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    sort_order: Mapped[int] = mapped_column(default=0)

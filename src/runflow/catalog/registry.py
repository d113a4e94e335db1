"""Writes the catalog at start — the built-in models and a models file's — updating in place.

Input rows and pricing rules are updated in place, so a restart with the same specs changes
no row (runs refer to inputs, and their cost breakdowns to pricing rules); examples and FAQ
entries are rewritten from the specs. A model in the database but no longer among the specs
(removed from its models file) is never deleted — its runs keep it — but becomes
`availability_status = "unavailable"`, and new batches and runs for it are refused.

Every process that registers makes the catalog what *its* `RUNFLOW_MODELS` says: `serve` and
every `worker` of a deployment must be given the same models files.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from runflow.auth.service import ensure_org
from runflow.catalog.builtin import BUILTIN_MODELS, BUILTIN_OWNER
from runflow.catalog.dispatch import UNAVAILABLE, forget_targets
from runflow.catalog.models import (
    FaqEntry,
    Model,
    ModelExample,
    ModelInput,
    ModelOutput,
    PricingRule,
)
from runflow.catalog.specs import ModelSpec

# Any constant works: it only has to be the same in every process that registers models.
_REGISTRY_LOCK_KEY = 0x52756E666C6F77


async def register_models(session: AsyncSession, specs: Sequence[ModelSpec] = ()) -> None:
    """Make the catalog exactly the built-in models plus `specs` (a models file's)."""
    if session.get_bind().dialect.name == "postgresql":
        # Several processes start at once in a deployment; one registers, the others wait.
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_REGISTRY_LOCK_KEY})"))
    existing = {
        (model.owner, model.slug): model
        for model in await session.scalars(
            select(Model).options(
                selectinload(Model.inputs),
                selectinload(Model.outputs),
                selectinload(Model.pricing),
            )
        )
    }
    org_ids: dict[str, uuid.UUID] = {}
    registered: list[tuple[Model, ModelSpec]] = []
    for spec in (*BUILTIN_MODELS, *specs):
        if spec.owner not in org_ids:
            name = "Runflow" if spec.owner == BUILTIN_OWNER else None
            org_ids[spec.owner] = (await ensure_org(session, spec.owner, name)).id
        model = existing.pop((spec.owner, spec.slug), None)
        if model is None:
            model = Model(owner=spec.owner, slug=spec.slug, inputs=[], outputs=[], pricing=[])
            session.add(model)
        model.org_id = org_ids[spec.owner]
        _apply_spec(model, spec)
        registered.append((model, spec))
    for model in existing.values():
        model.availability_status = UNAVAILABLE
    # One flush for the whole catalog: its inserts go out a table at a time, not a model at
    # a time (every app start registers it, each test's too).
    await session.flush()
    await _replace_descriptive_rows(session, registered)
    forget_targets()


def _apply_spec(model: Model, spec: ModelSpec) -> None:
    model.name = spec.name
    model.description = spec.description
    model.category_code = spec.category_code
    model.version = spec.version
    model.timeout_s = spec.timeout_s
    model.max_retries = spec.max_retries
    model.is_public = spec.is_public
    model.is_official = spec.owner == BUILTIN_OWNER
    model.is_open_source = spec.owner == BUILTIN_OWNER
    model.provider_code = spec.provider_code
    model.provider_settings = spec.provider_settings
    model.concurrency = spec.concurrency
    model.queue_timeout_s = spec.queue_timeout_s
    model.status_code = "active"
    model.availability_status = "available"

    inputs = {row.name: row for row in model.inputs}
    model.inputs = []
    for order, input_spec in enumerate(spec.inputs):
        row = inputs.get(input_spec.name) or ModelInput(name=input_spec.name)
        row.display_name = input_spec.name.replace("_", " ").capitalize()
        row.description = input_spec.description
        row.variable_type_code = input_spec.variable_type_code
        row.default_behavior_code = input_spec.resolved_default_behavior
        row.validator_code = input_spec.validator_code
        row.validator_attrs = input_spec.validator_attrs
        row.is_required = input_spec.is_required
        row.default_value = input_spec.default_value
        row.sort_order = order
        row.is_featured = input_spec.is_featured
        model.inputs.append(row)

    outputs = {row.name: row for row in model.outputs}
    model.outputs = []
    for order, output_spec in enumerate(spec.outputs):
        output = outputs.get(output_spec.name) or ModelOutput(name=output_spec.name)
        output.display_name = output_spec.name.replace("_", " ").capitalize()
        output.description = output_spec.description
        output.variable_type_code = output_spec.variable_type_code
        output.sort_order = order
        model.outputs.append(output)

    rules = list(model.pricing)
    model.pricing = []
    for order, rule_spec in enumerate(spec.pricing):
        rule = rules[order] if order < len(rules) else PricingRule()
        rule.pricing_model_code = rule_spec.pricing_model_code
        rule.rule_effect_code = "add"
        rule.dimension_code = rule_spec.dimension_code
        rule.price = rule_spec.price
        rule.currency_code = "USD"
        rule.unit_code = rule_spec.unit_code
        rule.multiplier_label = rule_spec.multiplier_label
        rule.max_value = rule_spec.max_value
        rule.description = rule_spec.description
        rule.sort_order = order
        rule.measurement_source = rule_spec.measurement_source
        model.pricing.append(rule)


async def _replace_descriptive_rows(
    session: AsyncSession, registered: Sequence[tuple[Model, ModelSpec]]
) -> None:
    model_ids = [model.id for model, _ in registered]
    for table in (ModelExample, FaqEntry):
        await session.execute(delete(table).where(table.model_id.in_(model_ids)))
    for model, spec in registered:
        session.add_all(
            ModelExample(
                model_id=model.id,
                title=example.title,
                description=example.description,
                input=example.input,
                sort_order=order,
            )
            for order, example in enumerate(spec.examples)
        )
        session.add_all(
            FaqEntry(
                model_id=model.id, question=entry.question, answer=entry.answer, sort_order=order
            )
            for order, entry in enumerate(spec.faq)
        )
    await session.flush()

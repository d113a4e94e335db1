"""Writes the built-in models into the catalog at start, updating them in place.

Input rows keep their ids across restarts (runs and pricing rules refer to them); pricing
rules, examples and FAQ entries are rewritten from the specs.
"""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from runflow.auth.service import ensure_org
from runflow.catalog.builtin import BUILTIN_MODELS, BUILTIN_OWNER
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


async def register_builtin_models(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Several processes start at once in a deployment; one registers, the others wait.
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_REGISTRY_LOCK_KEY})"))
    org = await ensure_org(session, BUILTIN_OWNER, "Runflow")
    existing = {
        model.slug: model
        for model in await session.scalars(
            select(Model)
            .where(Model.owner == BUILTIN_OWNER)
            .options(selectinload(Model.inputs), selectinload(Model.outputs))
        )
    }
    for spec in BUILTIN_MODELS:
        model = existing.get(spec.slug)
        if model is None:
            model = Model(org_id=org.id, owner=BUILTIN_OWNER, slug=spec.slug, inputs=[], outputs=[])
            session.add(model)
        _apply_spec(model, spec)
        await session.flush()
        await _replace_descriptive_rows(session, model, spec)


def _apply_spec(model: Model, spec: ModelSpec) -> None:
    model.name = spec.name
    model.description = spec.description
    model.category_code = spec.category_code
    model.version = spec.version
    model.timeout_s = spec.timeout_s
    model.max_retries = spec.max_retries
    model.is_public = True
    model.is_official = True
    model.is_open_source = True
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


async def _replace_descriptive_rows(session: AsyncSession, model: Model, spec: ModelSpec) -> None:
    for table in (PricingRule, ModelExample, FaqEntry):
        await session.execute(delete(table).where(table.model_id == model.id))
    session.add_all(
        PricingRule(
            model_id=model.id,
            pricing_model_code=rule.pricing_model_code,
            rule_effect_code="add",
            dimension_code=rule.dimension_code,
            price=rule.price,
            currency_code="USD",
            unit_code=rule.unit_code,
            multiplier_label=rule.multiplier_label,
            description=rule.description,
            sort_order=order,
            measurement_source=rule.measurement_source,
        )
        for order, rule in enumerate(spec.pricing)
    )
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
        FaqEntry(model_id=model.id, question=entry.question, answer=entry.answer, sort_order=order)
        for order, entry in enumerate(spec.faq)
    )
    await session.flush()

"""Pricing: a model's rules turn a run's usage into `cost` and `cost_breakdown` (DESIGN §5).

A rule prices one usage dimension (`dimension_code`, e.g. `output_megapixels`), optionally
multiplied by a second one (`multiplier_label`, e.g. `steps`); a rule without a dimension is a
flat price per run. Amounts are exact decimals; usage figures arrive as floats and are converted
through their shortest repr so 0.262144 stays 0.262144.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runflow.catalog.models import PricingRule
from runflow.kit.money import format_money, from_nanos, to_nanos


@dataclass(frozen=True)
class PriceRule:
    id: str
    price: Decimal
    unit_code: str
    currency_code: str
    dimension_code: str | None
    multiplier_label: str | None
    description: str | None
    # The most the dimension can be: what an estimate assumes when the input cannot tell.
    max_value: Decimal | None = None

    @classmethod
    def of(cls, rule: PricingRule) -> PriceRule:
        return cls(
            id=str(rule.id),
            price=rule.price,
            unit_code=rule.unit_code,
            currency_code=rule.currency_code,
            dimension_code=rule.dimension_code,
            multiplier_label=rule.multiplier_label,
            description=rule.description,
            max_value=rule.max_value,
        )


def live_rules(rules: Sequence[PricingRule]) -> tuple[PriceRule, ...]:
    """A model's rules that price its runs now, in their order."""
    return tuple(PriceRule.of(rule) for rule in rules if rule.disabled_at is None)


class MissingUsage(ValueError):
    """The model did not report a figure one of its pricing rules needs."""


def usage_figure(value: float) -> Decimal:
    """A usage figure as pricing counts it: through its shortest repr, so 0.262144 stays so."""
    return Decimal(repr(float(value)))


def _quantity(rule: PriceRule, usage: Mapping[str, float]) -> Decimal:
    quantity = Decimal(1)
    for name in (rule.dimension_code, rule.multiplier_label):
        if name is None:
            continue
        if name not in usage:
            raise MissingUsage(f"usage has no {name!r} for rule {rule.id}")
        quantity *= usage_figure(usage[name])
    return quantity


def price_run(
    rules: Sequence[PriceRule], usage: Mapping[str, float]
) -> tuple[Decimal, dict[str, Any]]:
    """The cost of one successful run and the lines that explain it."""
    lines = []
    total = 0
    for rule in rules:
        quantity = _quantity(rule, usage)
        amount = to_nanos(rule.price * quantity)
        total += amount
        lines.append(
            {
                "rule_id": rule.id,
                "description": rule.description,
                "quantity": format(quantity.normalize(), "f"),
                "unit_code": rule.unit_code,
                "unit_price": format_money(rule.price),
                "amount": format_money(from_nanos(amount)),
            }
        )
    cost = from_nanos(total)
    currency = rules[0].currency_code if rules else "USD"
    return cost, {"currency_code": currency, "lines": lines, "total": format_money(cost)}

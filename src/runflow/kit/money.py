"""Money as exact decimals: stored in integer nano-units, shown as plain decimal strings.

Integers keep sums exact in SQL on both SQLite (which has no decimal type) and PostgreSQL;
nine decimal places are finer than any price the catalog can express.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_EVEN, Decimal

NANOS_PER_UNIT = 10**9
_QUANTUM = Decimal(1).scaleb(-9)


# The three conversions are pure and a batch repeats the same few amounts thousands of times
# (every echo costs the same); decimal arithmetic is slow enough for a cache to pay.
@functools.lru_cache(maxsize=4096)
def to_nanos(amount: Decimal | int | str) -> int:
    """Round an amount to the nearest nano-unit (banker's rounding) as an integer."""
    quantized = Decimal(amount).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    return int(quantized.scaleb(9))


@functools.lru_cache(maxsize=4096)
def from_nanos(nanos: int) -> Decimal:
    return Decimal(nanos).scaleb(-9)


@functools.lru_cache(maxsize=4096)
def format_money(amount: Decimal) -> str:
    """`Decimal("0.012500000")` → `"0.0125"`; zero → `"0"`; never an exponent."""
    if amount == 0:
        return "0"
    text = format(amount.normalize(), "f")
    return text

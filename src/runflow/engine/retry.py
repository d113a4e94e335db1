"""Backoff for transient failures.

The n-th retry (n ≥ 1) waits ``min(cap, base × 2^(n-1))`` seconds, scaled by a random factor in
``[1 - jitter, 1 + jitter]`` so that runs failing together do not retry together.
"""

from __future__ import annotations

import random
from datetime import timedelta

BASE_S = 2.0
CAP_S = 60.0
JITTER = 0.2


def retry_delay(retry_number: int, base_s: float = BASE_S) -> timedelta:
    seconds = min(CAP_S, base_s * 2 ** max(0, retry_number - 1))
    return timedelta(seconds=seconds * random.uniform(1 - JITTER, 1 + JITTER))

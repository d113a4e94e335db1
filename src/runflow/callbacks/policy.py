"""When a callback is tried again, and how long one try may take (DESIGN §6).

Attempt 1 goes out as soon as the delivery exists. After failed attempt *k* the next waits
``delays[k-1] × U(1 - jitter, 1 + jitter)`` seconds — by default 5 s, 5 min, 30 min, 2 h, 5 h,
10 h, 10 h, each ±20 % — so ``max_attempts = 1 + len(delays)``. The jitter spreads the retries of
many deliveries that failed together (a receiver outage) instead of firing them at once.
A receiver's ``Retry-After`` replaces the scheduled delay, capped at `MAX_RETRY_AFTER`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from runflow.config import Settings

MAX_RETRY_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class RetryPolicy:
    delays_s: tuple[float, ...]
    timeout_s: float
    jitter: float = 0.2

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.callback_retry_delays, settings.callback_timeout_s)

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.delays_s)

    def delay_after(self, attempt_number: int) -> timedelta:
        """The wait after failed attempt `attempt_number` (1-based); only asked while
        `attempt_number < max_attempts`."""
        base = self.delays_s[attempt_number - 1]
        return timedelta(seconds=base * random.uniform(1 - self.jitter, 1 + self.jitter))

"""When to retry a request and how long to wait first: exponential backoff with jitter,
or what the server's `Retry-After` asks for (capped)."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import httpx

INITIAL_DELAY_S = 0.5
MAX_DELAY_S = 8.0
# A Retry-After longer than this is not waited for: the caller gets the error instead.
MAX_RETRY_AFTER_S = 60.0
_RETRIED_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


def retryable_status(response: httpx.Response) -> bool:
    return response.status_code in _RETRIED_STATUSES


def retry_after_s(response: httpx.Response | None) -> float | None:
    """The server's `Retry-After` (seconds or an HTTP date), if it sent a usable one."""
    if response is None:
        return None
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER_S else None


def delay_s(retries_done: int, response: httpx.Response | None) -> float:
    """How long to wait before retry number `retries_done + 1`."""
    asked = retry_after_s(response)
    if asked is not None:
        return asked
    backoff: float = min(INITIAL_DELAY_S * 2.0**retries_done, MAX_DELAY_S)
    return backoff * (1 - 0.25 * random.random())  # jitter: spread out retrying clients

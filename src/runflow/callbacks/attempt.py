"""One attempt to deliver a callback: vet the address, sign, POST the stored bytes, judge.

A plain coroutine with no database access, so the sender stays a thin loop around it and every
outcome — 2xx, 3xx, 410, 429 with `Retry-After`, timeouts, refused addresses — can be tested
against a real receiver.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import aiohttp
from standardwebhooks import Webhook

from runflow.kit.clock import utcnow
from runflow.kit.egress import EgressGuard, EgressRefused

RESPONSE_BODY_LIMIT = 1024
USER_AGENT = "Runflow-Webhooks/1"

# Refusals that another try cannot fix: the URL itself is wrong or points somewhere forbidden.
_FINAL_REFUSALS = frozenset({"ADDRESS_BLOCKED", "INVALID_URL"})


class Verdict(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"
    # Never sent: a delivery handed to a sender that could not start it in time gives its
    # lease back, due again at once, with no attempt on record.
    UNSENT = "unsent"


@dataclass(frozen=True)
class Outgoing:
    """What an attempt sends: the frozen bytes, signed by every live secret (current first)."""

    delivery_id: uuid.UUID
    attempt_number: int
    callback_url: str
    body: bytes
    secrets: tuple[tuple[uuid.UUID, str], ...]
    # The delivery's last attempt is this one when `attempt_number` reaches it.
    max_attempts: int
    # An endpoint delivery's event id: the same on every endpoint, retry and redelivery.
    event_id: uuid.UUID | None = None
    endpoint_id: uuid.UUID | None = None

    @property
    def webhook_id(self) -> str:
        """Stable across attempts, so receivers can drop duplicates: the event's id for an
        endpoint's delivery, the delivery's own for a batch or run callback."""
        return str(self.event_id or self.delivery_id)


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: uuid.UUID
    attempt_number: int
    created_at: datetime
    verdict: Verdict
    reason_code: str | None = None
    status_code: int | None = None
    response_body: str | None = None
    response_time_ms: int | None = None
    error_message: str | None = None
    retry_after: timedelta | None = None
    signing_secret_id: uuid.UUID | None = None


def signature_header(
    secrets: tuple[tuple[uuid.UUID, str], ...], msg_id: str, timestamp: datetime, body: str
) -> str:
    """`v1,<sig>` per secret, space-separated, as Standard Webhooks verifiers expect."""
    return " ".join(_signer(secret).sign(msg_id, timestamp, body) for _, secret in secrets)


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    """A secret's signer, its key decoded once rather than at every delivery."""
    return Webhook(secret)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(timedelta(0), when - now)


def _judge(response: aiohttp.ClientResponse) -> tuple[Verdict, str | None, str | None]:
    """Verdict, reason code and an error message for a response that arrived."""
    code = response.status
    if 200 <= code < 300:
        return Verdict.DELIVERED, None, None
    if code == 410:
        return Verdict.GIVE_UP, "RECEIVER_GONE", "the receiver answered 410 Gone"
    if 300 <= code < 400:
        location = response.headers.get("location", "")
        return (
            Verdict.RETRY,
            "REDIRECT_NOT_FOLLOWED",
            f"the receiver redirected ({code}) to {location!r}; callbacks never follow redirects",
        )
    return Verdict.RETRY, "HTTP_ERROR", f"the receiver answered {code}"


async def _read_some(response: aiohttp.ClientResponse) -> str:
    """The first KiB of the body: a receiver answering with megabytes is not read to the end."""
    kept = bytearray()
    while len(kept) < RESPONSE_BODY_LIMIT:
        chunk = await response.content.read(RESPONSE_BODY_LIMIT - len(kept))
        if not chunk:
            break
        kept.extend(chunk)
    return kept.decode(errors="replace")


def delivery_session(concurrency: int, per_host: int) -> aiohttp.ClientSession:
    """The session attempts share: kept-alive connections, at most `per_host` to one host
    (the name it is asked for and the address it was checked at), no cookies carried from
    one receiver to another, no proxy from the environment, responses left undecoded, and
    no deadline of aiohttp's own: each attempt has one for all of it, DNS included, and a
    second timer per request cost 5 % of an attempt's CPU."""
    connector = aiohttp.TCPConnector(
        limit=concurrency, limit_per_host=per_host, use_dns_cache=False
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(),
    )


async def attempt_delivery(
    session: aiohttp.ClientSession, guard: EgressGuard, outgoing: Outgoing, *, timeout_s: float
) -> AttemptResult:
    started = utcnow()
    # Each outcome builds its result once: at thousands of attempts a second, copying a
    # frozen dataclass field by field shows.
    signing_secret_id = outgoing.secrets[0][0] if outgoing.secrets else None
    clock = time.perf_counter()
    try:
        # One deadline for the whole attempt, DNS included: the sender's lease assumes it.
        async with asyncio.timeout(timeout_s):
            target = await guard.check(outgoing.callback_url)
            url, headers, extensions = target.pinned()
            headers.update(_headers(outgoing, started))
            async with session.post(
                str(url),
                data=outgoing.body,
                headers=headers,
                allow_redirects=False,
                server_hostname=extensions.get("sni_hostname"),
            ) as response:
                response_body = await _read_some(response)
    except EgressRefused as refused:
        return AttemptResult(
            outgoing.delivery_id,
            outgoing.attempt_number,
            started,
            Verdict.GIVE_UP if refused.reason in _FINAL_REFUSALS else Verdict.RETRY,
            reason_code=refused.reason,
            error_message=f"callback_url {refused}",
            signing_secret_id=signing_secret_id,
        )
    except (TimeoutError, aiohttp.ClientError) as exc:
        if isinstance(exc, TimeoutError):
            failure, detail = "TIMEOUT", f"no complete response within {timeout_s:g} s"
        else:
            failure = "CONNECTION_ERROR"
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return AttemptResult(
            outgoing.delivery_id,
            outgoing.attempt_number,
            started,
            Verdict.RETRY,
            reason_code=failure,
            response_time_ms=_elapsed_ms(clock),
            error_message=detail,
            signing_secret_id=signing_secret_id,
        )
    verdict, reason, error = _judge(response)
    retry_after = None
    if response.status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), utcnow())
    return AttemptResult(
        outgoing.delivery_id,
        outgoing.attempt_number,
        started,
        verdict,
        reason_code=reason,
        status_code=response.status,
        response_body=response_body,
        response_time_ms=_elapsed_ms(clock),
        error_message=error,
        retry_after=retry_after,
        signing_secret_id=signing_secret_id,
    )


def _headers(outgoing: Outgoing, timestamp: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": outgoing.webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            outgoing.secrets, outgoing.webhook_id, timestamp, outgoing.body.decode()
        ),
    }


def _elapsed_ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)

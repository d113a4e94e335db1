"""A callback URL is vetted when it is given, not only when it is called."""

from __future__ import annotations

from runflow.errors import ValidationFailed
from runflow.kit.egress import EgressGuard, EgressRefused


async def vet_callback_url(guard: EgressGuard, url: str | None) -> None:
    """422 on `body.callback_url` unless the SSRF guard would let Runflow call it now."""
    if url is None:
        return
    try:
        await guard.check(url)
    except EgressRefused as refused:
        raise ValidationFailed(
            f"callback_url {refused}.",
            errors=[
                {
                    "loc": ["body", "callback_url"],
                    "msg": str(refused),
                    "type": refused.reason.lower(),
                }
            ],
        ) from None

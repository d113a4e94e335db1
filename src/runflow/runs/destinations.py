"""Where new runs will send requests is vetted when they are created, not only when they send.

A run calls out to the media inputs it was given as https URLs (fetched at dispatch) and to
its callback URL (called when it ends). At create, every one of those URLs goes through the
SSRF guard — all of a request's hosts resolved at once, each once — and a refused URL is a
422 located where the request gave it, before anything is written. The guard checks again at
every fetch and every send: a DNS answer may have changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runflow.catalog.validation import InputDeclaration, Loc, media_input_names, media_urls
from runflow.errors import ValidationFailed
from runflow.kit.egress import EgressGuard, EgressRefused

CALLBACK_URL_LOC: Loc = ("body", "callback_url")


async def vet_destinations(
    guard: EgressGuard,
    declarations: Sequence[InputDeclaration],
    inputs: Sequence[tuple[Loc, dict[str, Any]]],
    callback_url: str | None,
) -> None:
    """422 unless the guard would let Runflow call every URL the runs will call.

    `inputs` are the checked inputs, each with the `loc` of its item (`("body", "input", 3)`
    in a batch, `("body", "input")` for one run). No work when there is no URL to vet.
    """
    named: list[tuple[Loc, str]] = []
    names = media_input_names(declarations)
    if names:
        for loc, value in inputs:
            named.extend(((*loc, name), url) for name, url in media_urls(names, value))
    if callback_url is not None:
        named.append((CALLBACK_URL_LOC, callback_url))
    if not named:
        return
    outcomes = await guard.check_all(url for _, url in named)
    errors = [
        {"loc": list(loc), "msg": str(outcome), "type": outcome.reason.lower()}
        for loc, url in named
        if isinstance(outcome := outcomes[url], EgressRefused)
    ]
    if errors:
        raise ValidationFailed(_message(errors), errors=errors)


def _message(errors: list[dict[str, Any]]) -> str:
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"][1:])  # `callback_url`, `input.3.image`
    if len(errors) == 1:
        return f"{where} {first['msg']}."
    return f"{where} {first['msg']}, and {len(errors) - 1} more URLs are refused."

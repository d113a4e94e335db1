"""What routes need from the callback machinery: the process's outbox and its SSRF guard.

Like every dependency that only reads app state, these are `async def`: FastAPI runs a plain
`def` dependency on a worker thread, a thread hop per request for an attribute read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runflow.callbacks.outbox import Outbox
from runflow.kit.egress import EgressGuard


async def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


async def _egress_guard(request: Request) -> EgressGuard:
    guard: EgressGuard = request.app.state.egress_guard
    return guard


CallbackOutbox = Annotated[Outbox, Depends(_outbox)]
Egress = Annotated[EgressGuard, Depends(_egress_guard)]

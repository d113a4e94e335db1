"""What routes need from the callback machinery: the process's outbox and its SSRF guard."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runflow.callbacks.outbox import Outbox
from runflow.kit.egress import EgressGuard


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


def _egress_guard(request: Request) -> EgressGuard:
    guard: EgressGuard = request.app.state.egress_guard
    return guard


CallbackOutbox = Annotated[Outbox, Depends(_outbox)]
Egress = Annotated[EgressGuard, Depends(_egress_guard)]

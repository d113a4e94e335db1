"""The HTTP side of the POSTs that make a delivery with no body of their own: a callback's
redelivery, an endpoint delivery's, a test event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.callbacks.outbox import Outbox
from runflow.idempotency.http import create_once


async def deliver_once(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    outbox: Outbox,
    create: Callable[[], Awaitable[BaseModel]],
    *,
    status_code: int = status.HTTP_201_CREATED,
) -> Response:
    """What `create()` made, once per `Idempotency-Key` (a retried POST sends nothing twice);
    the sender is woken once it is committed."""
    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=key,
        body=None,
        create=create,
        after_commit=outbox.notify_sender,
        status_code=status_code,
    )

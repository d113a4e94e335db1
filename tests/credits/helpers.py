"""Shared steps of the credit tests: granting and enforcing as an operator, and the books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from runflow.auth.models import Org
from runflow.credits import service
from runflow.credits.models import CreditTransaction
from runflow.db.engine import Database
from runflow.runs.models import Run, RunStatus

_ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


async def grant(database: Database, org: str, amount: str) -> None:
    async with database.transaction() as session:
        await service.grant(session, org, Decimal(amount), "test grant")


async def enforce(database: Database, org: str, enforced: bool = True) -> None:
    async with database.transaction() as session:
        await service.enforce(session, org, enforced)


async def enforced_with(database: Database, org: str, amount: str) -> None:
    """`org` enforces credits and holds `amount` of them."""
    await enforce(database, org)
    await grant(database, org, amount)


async def set_threshold(database: Database, org: str, amount: str) -> None:
    async with database.transaction() as session:
        await service.set_threshold(session, org, Decimal(amount))


async def account(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/account", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def transactions(
    client: httpx.AsyncClient, auth: dict[str, str], q: str | None = None
) -> list[dict[str, Any]]:
    """The org's ledger, oldest first."""
    params: dict[str, str | int] = {"limit": 500, "sort_by": "created_at:asc"}
    if q:
        params["q"] = q
    response = await client.get("/v1/account/credit-transactions", params=params, headers=auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def assert_books_balance(database: Database) -> None:
    """For every org: the ledger sums to the balance, and what is reserved is exactly what
    its unfinished runs hold. One statement, so one snapshot while the engine runs."""
    ledger = (
        select(func.coalesce(func.sum(CreditTransaction.amount), 0))
        .where(CreditTransaction.org_id == Org.id)
        .scalar_subquery()
    )
    held = (
        select(func.coalesce(func.sum(Run.credit_reserved), 0))
        .where(Run.org_id == Org.id, Run.status_code.not_in(_ENDED))
        .scalar_subquery()
    )
    async with database.transaction(write=False) as session:
        books = select(Org.id, Org.credit_balance, Org.credit_reserved, ledger, held)
        rows = (await session.execute(books)).all()
    for org_id, balance, reserved, summed, holding in rows:
        assert (summed, holding) == (balance, reserved), org_id

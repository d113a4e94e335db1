"""Request-scoped sessions. The transaction ends before the response is sent: committed when
the route returns, rolled back when it raises. Services and routes never commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.db.engine import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).transaction(write=False) as session:
        yield session


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).transaction(for_request=True) as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]

"""PostgreSQL notifications, heard on a connection of their own that comes back when lost.

`NOTIFY` reaches every process `LISTEN`ing on its channel when the notifying transaction
commits, and never if it rolls back: how one process tells the others, without polling, that
something changed (live streams) or is waiting for them (deliveries to send). A notification
sent while no connection listened is lost, so `on_connected` runs each time one (re)connects:
whoever listens catches up there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)


async def listen(
    dsn: str,
    channel: str,
    on_payload: Callable[[str], None],
    on_connected: Callable[[], None],
    retry_s: float = 1.0,
) -> None:
    """Hand each payload on `channel` to `on_payload` until cancelled."""
    while True:
        try:
            connection = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError):
            log.warning("notifications_connect_failed", channel=channel, retry_s=retry_s)
            await asyncio.sleep(retry_s)
            continue
        try:
            await _until_lost(connection, channel, on_payload, on_connected)
        finally:
            with contextlib.suppress(Exception):
                await connection.close()
        log.warning("notifications_connection_lost", channel=channel)


async def _until_lost(
    connection: asyncpg.Connection,
    channel: str,
    on_payload: Callable[[str], None],
    on_connected: Callable[[], None],
) -> None:
    lost = asyncio.Event()

    def on_notification(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        on_payload(payload)

    connection.add_termination_listener(lambda _: lost.set())
    await connection.add_listener(channel, on_notification)
    on_connected()
    await lost.wait()


@contextlib.asynccontextmanager
async def listening(
    database_url: str,
    channel: str,
    on_payload: Callable[[str], None],
    on_connected: Callable[[], None],
) -> AsyncIterator[None]:
    """On PostgreSQL, `listen` in the background for the block's duration; elsewhere nothing."""
    if not database_url.startswith("postgresql"):
        yield
        return
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    task = asyncio.create_task(
        listen(dsn, channel, on_payload, on_connected), name=f"runflow-listen-{channel}"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""Which batches and runs just changed, for the live streams — without polling.

Whatever changes a batch or a run (a claim, progress, a completion, a cancel) `announce`s the
ids in its transaction. On PostgreSQL that is a `NOTIFY`, delivered at commit to every process
`listen`ing (the engine may run in another one); on SQLite, where the engine runs in this
process, the ids go straight to this process's `Changes` after the commit. A stream waits on
its ids' `asyncio.Event`: an idle stream costs no query at all, and a reader however slow
never holds up a writer — the event only says "read again", it queues nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Collection, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.db import notifications

CHANNEL = "runflow_changes"
# NOTIFY payloads are limited to 8,000 bytes: ids go 200 to a notification (32 hex each).
_IDS_PER_NOTIFICATION = 200
_NOTIFY = text(
    f"SELECT pg_notify('{CHANNEL}', payload) FROM unnest(CAST(:payloads AS text[])) AS payload"
)


class Changes:
    """This process's watchers of batch and run ids."""

    def __init__(self) -> None:
        self._watchers: dict[uuid.UUID, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, *ids: uuid.UUID) -> Iterator[asyncio.Event]:
        """An event set whenever one of `ids` changes (clear it before reading)."""
        changed = asyncio.Event()
        for key in ids:
            self._watchers.setdefault(key, set()).add(changed)
        try:
            yield changed
        finally:
            for key in ids:
                watchers = self._watchers.get(key)
                if watchers is not None:
                    watchers.discard(changed)
                    if not watchers:
                        del self._watchers[key]

    @property
    def watched(self) -> bool:
        return bool(self._watchers)

    def changed(self, ids: Collection[uuid.UUID]) -> None:
        if not self._watchers:
            return
        for key in ids:
            for watcher in self._watchers.get(key, ()):
                watcher.set()

    def everything_changed(self) -> None:
        """After a lost notification connection: every stream reads again."""
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.set()


# By database URL: the API's sessions and the engine's (whose SQLite writes go through an
# engine proxy with options of its own) reach the same one.
_BY_DATABASE: dict[str, Changes] = {}


def changes_of(url: URL) -> Changes:
    """This process's `Changes` for one database."""
    key = url.render_as_string(hide_password=True)
    found = _BY_DATABASE.get(key)
    if found is None:
        found = _BY_DATABASE[key] = Changes()
    return found


async def announce(session: AsyncSession, ids: Collection[uuid.UUID]) -> None:
    """Tell the streams watching `ids`, once this transaction commits (never if it rolls back)."""
    if not ids:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        hexes = [key.hex for key in ids]
        payloads = [
            ",".join(hexes[start : start + _IDS_PER_NOTIFICATION])
            for start in range(0, len(hexes), _IDS_PER_NOTIFICATION)
        ]
        await session.execute(_NOTIFY, {"payloads": payloads})
        return
    changes = changes_of(bind.engine.url)
    # Hooked whether or not anyone watches yet: a stream that opens during this transaction
    # reads the state before it, and must hear of the commit (`changed` is cheap when idle).
    announced = list(ids)

    def after_commit(_: Any) -> None:
        changes.changed(announced)

    event.listen(session.sync_session, "after_commit", after_commit, once=True)


def listening(database_url: str, changes: Changes) -> AbstractAsyncContextManager[None]:
    """On PostgreSQL, deliver the notifications to `changes` for the block's duration. After
    a lost connection every stream reads again: notifications may have been lost."""

    def on_payload(payload: str) -> None:
        # Every claim and completion notifies, up to 200 ids each: with no stream open in
        # this process (the usual case), they are not even parsed.
        if changes.watched:
            changes.changed([uuid.UUID(hex=part) for part in payload.split(",") if part])

    return notifications.listening(database_url, CHANNEL, on_payload, changes.everything_changed)

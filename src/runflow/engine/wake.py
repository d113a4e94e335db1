"""Nudge this process's dispatcher after queueing work, so it claims without waiting to poll."""

from __future__ import annotations

from fastapi import FastAPI

from runflow.engine.dispatcher import Dispatcher


def wake_dispatcher(app: FastAPI) -> None:
    dispatcher: Dispatcher | None = getattr(app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()

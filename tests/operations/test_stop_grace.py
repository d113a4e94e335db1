"""One grace for the whole stop (DESIGN §20): the engine's runs take what they need of
`RUNFLOW_SHUTDOWN_GRACE_S`, and the callback sender's attempts in flight get what is left, not
a grace of their own on top. (That an attempt cut short is recorded and sent again is
`tests/callbacks/test_handoff.py`'s.)"""

from __future__ import annotations

import pytest

from runflow.app import create_app
from runflow.callbacks.sender import CallbackSender
from runflow.config import Settings
from tests.databases import empty_all_tables


@pytest.mark.engine(worker_concurrency=2)
async def test_the_sender_stops_within_what_the_engine_left_of_the_grace(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"shutdown_grace_s": 0.5})
    given: list[float] = []
    stop = CallbackSender.stop

    async def recording_stop(self: CallbackSender, grace_s: float = 5.0) -> None:
        given.append(grace_s)
        await stop(self, grace_s)

    monkeypatch.setattr(CallbackSender, "stop", recording_stop)
    await empty_all_tables(settings.resolved_database_url)
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        assert app.state.sender is not None
        assert app.state.dispatcher is not None

    assert len(given) == 1
    assert 0 <= given[0] <= 0.5

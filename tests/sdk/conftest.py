"""The SDK against a real `runflow serve` (SQLite), one per test file: no mocked HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from runflow_sdk import AsyncRunflow, Runflow

from tests.served import BOOTSTRAP_KEY, Server, running_server

# Callbacks and webhook deliveries go to receivers on loopback in these tests.
LOOPBACK = "127.0.0.0/8"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory, callback_allow_cidrs=LOOPBACK) as running:
        yield running


@pytest.fixture
def client(server: Server) -> Iterator[Runflow]:
    with Runflow(api_key=BOOTSTRAP_KEY, base_url=server.base_url) as runflow:
        yield runflow


@pytest.fixture
async def async_client(server: Server) -> AsyncIterator[AsyncRunflow]:
    async with AsyncRunflow(api_key=BOOTSTRAP_KEY, base_url=server.base_url) as runflow:
        yield runflow

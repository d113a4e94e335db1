"""A real `runflow serve` per database, seeded with one object of every kind, for tools that
know the service only by its OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.callbacks.receiver import Receiver
from tests.databases import create_postgres_database, drop_postgres_database, migrate
from tests.served import BOOTSTRAP_KEY, Server, start_server, stop_server, wait_until_ready
from tests.tools.seed import Seeded, seed


@dataclass(frozen=True)
class SeededServer:
    server: Server
    seeded: Seeded
    callback_url: str

    token: str = BOOTSTRAP_KEY


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeededServer]:
    settings = {"callback_allow_cidrs": "127.0.0.0/8"}
    database_url = None
    if request.param == "postgresql":
        database_url = asyncio.run(create_postgres_database())
        asyncio.run(migrate(database_url))
        settings["database_url"] = database_url
    receiver = Receiver()
    asyncio.run(receiver.start())
    server = start_server(
        tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("logs"), **settings
    )
    try:
        wait_until_ready(server)
        with server.client(Authorization=f"Bearer {BOOTSTRAP_KEY}") as http:
            seeded = seed(http, receiver.url())
        yield SeededServer(server, seeded, receiver.url())
    finally:
        stop_server(server)
        asyncio.run(receiver.stop())
        if database_url is not None:
            asyncio.run(drop_postgres_database(database_url))

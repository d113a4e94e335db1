"""Build the engine a process runs from its settings."""

from __future__ import annotations

import os
from datetime import timedelta

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.engine.dispatcher import Dispatcher, DispatcherConfig
from runflow.engine.local import LocalProvider
from runflow.engine.node_cache import DiskNodeCache
from runflow.engine.outputs import OutputStore


def output_store(settings: Settings) -> OutputStore:
    return OutputStore(settings.data_dir / "outputs", settings.resolved_public_url)


def build_dispatcher(database: Database, settings: Settings) -> Dispatcher:
    provider = LocalProvider(
        outputs=output_store(settings),
        cache=DiskNodeCache(settings.data_dir / "node-cache"),
        threads=os.cpu_count() or 1,
    )
    config = DispatcherConfig(
        concurrency=settings.worker_concurrency,
        lease=timedelta(seconds=settings.lease_s),
        heartbeat_interval_s=min(1.0, settings.lease_s / 3),
        reap_interval_s=min(2.0, settings.lease_s / 2),
    )
    return Dispatcher(database, provider, config)

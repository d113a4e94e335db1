"""Build the engine a process runs from its settings."""

from __future__ import annotations

import os
from datetime import timedelta

from runflow.callbacks.outbox import Outbox
from runflow.callbacks.policy import RetryPolicy
from runflow.callbacks.sender import CallbackSender
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.engine.dispatcher import Dispatcher, DispatcherConfig
from runflow.engine.local import LocalProvider
from runflow.engine.node_cache import DiskNodeCache
from runflow.engine.outputs import OutputStore
from runflow.kit.egress import EgressGuard


def output_store(settings: Settings) -> OutputStore:
    return OutputStore(settings.data_dir / "outputs", settings.resolved_public_url)


def egress_guard(settings: Settings) -> EgressGuard:
    return EgressGuard(settings.callback_allow_cidrs)


def build_outbox(settings: Settings) -> Outbox:
    return Outbox(RetryPolicy.from_settings(settings).max_attempts)


def build_sender(database: Database, settings: Settings, outbox: Outbox) -> CallbackSender:
    """The sender; deliveries this process writes wake it at once."""
    sender = CallbackSender(database, RetryPolicy.from_settings(settings), egress_guard(settings))
    outbox.attach_sender(sender.wake)
    return sender


def build_dispatcher(database: Database, settings: Settings, outbox: Outbox) -> Dispatcher:
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
    return Dispatcher(database, provider, config, outbox)

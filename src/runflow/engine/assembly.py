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
from runflow.engine.media_io import RunMedia
from runflow.engine.node_cache import DiskNodeCache
from runflow.engine.providers import Provider, cog, comfyui, python
from runflow.kit.egress import EgressGuard
from runflow.media.fetch import MediaFetcher
from runflow.media.library import MediaLibrary, media_storage
from runflow.webhooks.health import EndpointHealth
from runflow.workers.patterns import ModelPatterns


def run_media(database: Database, settings: Settings) -> RunMedia:
    """Media inputs fetched through the SSRF guard, outputs stored as the org's media."""
    library = MediaLibrary(settings, database, media_storage(settings))
    fetcher = MediaFetcher(
        egress_guard(settings),
        timeout_s=settings.media_fetch_timeout_s,
        max_bytes=settings.media_max_bytes,
        max_redirects=settings.media_fetch_max_redirects,
        staging_dir=library.staging_dir,
        ca_bundle=settings.media_fetch_ca_bundle,
    )
    return RunMedia(library, fetcher)


def egress_guard(settings: Settings) -> EgressGuard:
    return EgressGuard(settings.callback_allow_cidrs)


def build_sender(database: Database, settings: Settings, outbox: Outbox) -> CallbackSender:
    """The sender; deliveries this process writes wake it at once."""
    health = EndpointHealth(outbox, timedelta(seconds=settings.webhook_disable_after_s))
    sender = CallbackSender(
        database, RetryPolicy.from_settings(settings), egress_guard(settings), health=health
    )
    # Endpoints' deliveries written here are handed over, on SQLite too: claimed instead, they
    # waited for the one writer behind the engine, so the batches' callbacks came sooner but
    # the events trailed the runs by seconds, at a quarter more CPU each (bench/README.md).
    outbox.attach_sender(sender)
    return sender


def build_dispatcher(database: Database, settings: Settings, outbox: Outbox) -> Dispatcher:
    """Built-in models run on the local provider, a models file's Python models beside it."""
    media = run_media(database, settings)
    threads = os.cpu_count() or 1
    provider = LocalProvider(
        media=media, cache=DiskNodeCache(settings.data_dir / "node-cache"), threads=threads
    )
    providers: dict[str, Provider] = {
        python.PROVIDER_CODE: python.PythonProvider(media=media, threads=threads),
        cog.PROVIDER_CODE: cog.CogProvider(
            media=media,
            webhook_bind=settings.cog_webhook_bind,
            webhook_url=settings.cog_webhook_url,
            max_output_bytes=settings.media_max_bytes,
        ),
        comfyui.PROVIDER_CODE: comfyui.ComfyUIProvider(media=media),
    }
    config = DispatcherConfig(
        concurrency=settings.worker_concurrency,
        lease=timedelta(seconds=settings.lease_s),
        heartbeat_interval_s=min(1.0, settings.lease_s / 3),
        reap_interval_s=min(2.0, settings.lease_s / 2),
        presence_interval_s=min(10.0, settings.lease_s / 3),
    )
    return Dispatcher(
        database,
        provider,
        config,
        outbox,
        providers=providers,
        models=ModelPatterns.parse(settings.worker_models),
    )

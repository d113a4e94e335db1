"""Service settings, read from `RUNFLOW_*` environment variables."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_CALLBACK_RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)


def _default_worker_concurrency() -> int:
    # Runs in flight, not threads: CPU-bound models share a pool of one thread per core, and
    # I/O-bound ones (echo, remote providers) mostly wait.
    return max(16, (os.cpu_count() or 1) * 32)


class Settings(BaseSettings):
    """Everything an operator can set; names are part of the product (DESIGN §10)."""

    model_config = SettingsConfigDict(env_prefix="RUNFLOW_", extra="ignore")

    data_dir: Path = Path("./runflow-data")
    database_url: str | None = None
    bootstrap_api_key: str | None = None
    worker_concurrency: int = Field(default_factory=_default_worker_concurrency, ge=0)
    lease_s: float = Field(default=30.0, gt=0)
    # The models this process's engine claims (`worker --models`), e.g. 'acme/*,runflow/echo'.
    worker_models: str | None = None
    # Whether this process sends callbacks and events: "auto" where its engine runs, "on" also
    # in an API-only process, "off" never (its engine's deliveries go to other processes).
    sender: Literal["auto", "on", "off"] = "auto"
    callback_retry_delays: Annotated[tuple[float, ...], NoDecode] = DEFAULT_CALLBACK_RETRY_DELAYS
    callback_timeout_s: float = Field(default=15.0, gt=0)
    callback_allow_cidrs: Annotated[tuple[str, ...], NoDecode] = ()
    # A webhook endpoint failing every attempt this long is disabled (DESIGN §15).
    webhook_disable_after_s: float = Field(default=5 * 24 * 3600, ge=0)
    # Whether new orgs refuse creates their credits cannot cover (DESIGN §16).
    credits_enforced: bool = False
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # `/metrics` asks for this bearer token when set (DESIGN §20).
    metrics_token: str | None = None
    # Where a `runflow worker` serves its own `/metrics` (on `host`); unset: it serves none.
    worker_metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # On SIGTERM, how long running runs may finish before they are handed back to the queue.
    shutdown_grace_s: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    # Models files (DESIGN §13), comma-separated TOML paths; loaded by `serve` and `worker`.
    models: Annotated[tuple[Path, ...], NoDecode] = ()
    # Where a worker receives its Cog servers' prediction webhooks, and the URL they use.
    cog_webhook_bind: str = Field(default="127.0.0.1:0", pattern=r"^[^\s:]*:\d{1,5}$")
    cog_webhook_url: str | None = Field(default=None, pattern=r"^https?://\S+$")

    # Media (DESIGN §9). Stored under `data_dir/media` unless an S3 bucket is configured.
    media_max_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    media_url_ttl_s: int = Field(default=7 * 24 * 3600, gt=0)
    media_upload_ttl_s: int = Field(default=3600, gt=0)
    media_fetch_timeout_s: float = Field(default=30.0, gt=0)
    media_fetch_max_redirects: int = Field(default=5, ge=0)
    media_fetch_ca_bundle: Path | None = None
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    @field_validator("callback_retry_delays", mode="before")
    @classmethod
    def _split_delays(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("callback_allow_cidrs", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(Path(part.strip()) for part in value.split(",") if part.strip())
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'runflow.db').resolve()}"

    @property
    def sends(self) -> bool:
        """Whether this process runs a sender (`RUNFLOW_SENDER`)."""
        return self.sender == "on" or (self.sender == "auto" and self.worker_concurrency > 0)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

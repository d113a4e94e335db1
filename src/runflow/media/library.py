"""A process's media machinery — storage, URL signing, staging — and storing a new object.

Shared by the API (uploads, downloads) and the engine (run inputs and outputs); nothing here
knows about HTTP.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.keyring.service import service_secret
from runflow.kit.ids import new_id
from runflow.media.models import Media, MediaSource
from runflow.media.s3 import S3Storage
from runflow.media.signing import MEDIA_URL_SECRET, UrlSigner
from runflow.media.sniff import MediaInfo
from runflow.media.storage import LocalStorage, MediaStorage


def media_storage(settings: Settings) -> MediaStorage:
    """An S3-compatible bucket when `RUNFLOW_S3_BUCKET` is set, else `data_dir/media`."""
    if settings.s3_bucket:
        return S3Storage(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return LocalStorage(settings.data_dir / "media")


def storage_key(org_id: uuid.UUID, media_id: uuid.UUID) -> str:
    return f"{org_id}/{media_id}"


class MediaLibrary:
    def __init__(self, settings: Settings, database: Database, storage: MediaStorage) -> None:
        self.settings = settings
        self.database = database
        self.storage = storage
        self.staging_dir: Path = settings.data_dir / "media-staging"
        self.url_ttl = timedelta(seconds=settings.media_url_ttl_s)
        self.upload_ttl = timedelta(seconds=settings.media_upload_ttl_s)
        self.max_bytes = settings.media_max_bytes
        self._signer: UrlSigner | None = None

    async def signer(self) -> UrlSigner:
        """The URL signer, its secret read (or created) once per process."""
        if self._signer is None:
            async with self.database.transaction() as session:
                secret = await service_secret(session, MEDIA_URL_SECRET)
            self._signer = UrlSigner(secret, self.settings.resolved_public_url)
        return self._signer

    async def content_url(self, media_id: uuid.UUID) -> str:
        url, _ = (await self.signer()).content_url(media_id, self.url_ttl)
        return url


def new_media(
    *,
    org_id: uuid.UUID,
    info: MediaInfo,
    size_bytes: int,
    sha256: str,
    source: MediaSource,
    folder: str | None = None,
    source_url: str | None = None,
    run_id: uuid.UUID | None = None,
    media_id: uuid.UUID | None = None,
) -> Media:
    """The row of a new media object; store its bytes under `storage_key` before adding it."""
    media_id = media_id or new_id()
    return Media(
        id=media_id,
        org_id=org_id,
        storage_key=storage_key(org_id, media_id),
        content_type=info.content_type,
        size_bytes=size_bytes,
        sha256=sha256,
        width=info.width,
        height=info.height,
        duration_ms=info.duration_ms,
        folder=folder,
        source_code=source,
        source_url=source_url,
        run_id=run_id,
    )

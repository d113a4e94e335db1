"""Media operations behind the endpoints: ingest, read, list, move, delete, uploads.

Incoming bytes are staged, capped and sniffed before anything is stored, so a refused file
leaves neither a row nor an object behind.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.callbacks.outbox import Outbox
from runflow.errors import (
    ApiError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from runflow.kit.clock import utcnow
from runflow.kit.ids import new_id
from runflow.media import repository
from runflow.media.library import MediaLibrary, new_media, storage_key
from runflow.media.models import Media, MediaSource, MediaUpload, UploadStatus
from runflow.media.schemas import MediaRead, UploadCreate, UploadRead
from runflow.media.sniff import MediaInfo, MediaRefused
from runflow.media.staging import StagedFile, TooLarge, staged
from runflow.webhooks.publishing import publish_media_created

_PURGE_CHUNK = 50


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file exceeds the {limit}-byte limit for media.")


def refusal(refused: MediaRefused, loc: list[str | int], declared: str | None) -> ApiError:
    """A 422 naming the field, what is wrong with the bytes, and what the client claimed."""
    message = str(refused)
    if declared and refused.reason == "NOT_MEDIA":
        message = f"{message} (declared as {declared})"
    return ValidationFailed(
        f"The file was refused: {message}.",
        errors=[{"loc": loc, "msg": message, "type": f"media_{refused.reason.lower()}"}],
    )


async def media_read(library: MediaLibrary, media: Media) -> MediaRead:
    url, expires_at = (await library.signer()).content_url(media.id, library.url_ttl)
    return MediaRead(
        id=media.id,
        url=url,
        url_expires_at=expires_at,
        content_type=media.content_type,
        size_bytes=media.size_bytes,
        sha256=media.sha256,
        width=media.width,
        height=media.height,
        duration_ms=media.duration_ms,
        folder=media.folder,
        source_code=media.source_code,
        source_url=media.source_url,
        run_id=media.run_id,
        created_at=media.created_at,
    )


async def _accept(file: StagedFile, loc: list[str | int], declared: str | None) -> MediaInfo:
    try:
        return await file.sniff()
    except MediaRefused as refused:
        raise refusal(refused, loc, declared) from None


@contextlib.asynccontextmanager
async def staged_upload(
    library: MediaLibrary, chunks: AsyncIterable[bytes]
) -> AsyncIterator[StagedFile]:
    """The incoming file, staged and capped (413 when over `RUNFLOW_MEDIA_MAX_BYTES`)."""
    try:
        async with staged(chunks, limit=library.max_bytes, directory=library.staging_dir) as file:
            yield file
    except TooLarge as error:
        raise too_large(error.limit) from None


async def create_media(
    session: AsyncSession,
    library: MediaLibrary,
    principal: Principal,
    file: StagedFile,
    outbox: Outbox,
    *,
    folder: str | None,
    declared_type: str | None,
) -> MediaRead:
    """`POST /v1/media`: sniff the staged file, then store it."""
    info = await _accept(file, ["body", "file"], declared_type)
    media = new_media(
        org_id=principal.org_id,
        info=info,
        size_bytes=file.size_bytes,
        sha256=file.sha256,
        source=MediaSource.UPLOAD,
        folder=folder,
    )
    await library.storage.put_file(media.storage_key, file.path, info.content_type)
    session.add(media)
    await session.flush()
    return await _created(session, library, media, outbox)


async def _created(
    session: AsyncSession, library: MediaLibrary, media: Media, outbox: Outbox
) -> MediaRead:
    """The new object as its GET shows it, told to the endpoints that want `media.created`."""
    read = await media_read(library, media)
    await publish_media_created(
        session, outbox, media.org_id, read.model_dump(mode="json"), media.created_at
    )
    return read


async def read_media(
    session: AsyncSession, library: MediaLibrary, principal: Principal, media_id: uuid.UUID
) -> MediaRead:
    return await media_read(library, await _owned(session, principal, media_id))


async def _owned(session: AsyncSession, principal: Principal, media_id: uuid.UUID) -> Media:
    media = await repository.get_media(session, principal.org_id, media_id)
    if media is None:
        raise NotFound(f"Media {media_id} does not exist.")
    return media


async def move_media(
    session: AsyncSession,
    library: MediaLibrary,
    principal: Principal,
    media_id: uuid.UUID,
    folder: str | None,
) -> MediaRead:
    media = await _owned(session, principal, media_id)
    media.folder = folder
    await session.flush()
    return await media_read(library, media)


async def delete_media(session: AsyncSession, principal: Principal, media_id: uuid.UUID) -> str:
    """Delete the row; returns the storage key, whose object goes once the delete committed."""
    media = await _owned(session, principal, media_id)
    await repository.delete_media(session, media)
    return media.storage_key


# -- the three-step upload ----------------------------------------------------------------


async def upload_read(library: MediaLibrary, upload: MediaUpload) -> UploadRead:
    return UploadRead(
        id=upload.id,
        status_code=upload.status_code,
        upload_url=(await library.signer()).upload_url(upload.id, upload.expires_at),
        expires_at=upload.expires_at,
        max_bytes=library.max_bytes,
        folder=upload.folder,
        content_type=upload.content_type,
        size_bytes=upload.size_bytes,
        sha256=upload.sha256,
        created_at=upload.created_at,
    )


async def _purge_expired_uploads(session: AsyncSession, library: MediaLibrary) -> None:
    """Abandoned uploads are swept by later ones: rows and any bytes they received."""
    expired = await repository.expired_uploads(session, utcnow(), _PURGE_CHUNK)
    for upload in expired:
        await library.storage.delete(upload.storage_key)
    await repository.delete_uploads(session, [upload.id for upload in expired])


async def create_upload(
    session: AsyncSession, library: MediaLibrary, principal: Principal, body: UploadCreate
) -> UploadRead:
    if body.size_bytes is not None and body.size_bytes > library.max_bytes:
        raise too_large(library.max_bytes)
    await _purge_expired_uploads(session, library)
    upload_id = new_id()
    now = utcnow()
    upload = MediaUpload(
        id=upload_id,
        org_id=principal.org_id,
        folder=body.folder,
        status_code=UploadStatus.PENDING,
        expires_at=now.replace(microsecond=0) + library.upload_ttl,
        storage_key=storage_key(principal.org_id, upload_id),
        created_at=now,
    )
    session.add(upload)
    await session.flush()
    return await upload_read(library, upload)


async def receive_upload(
    library: MediaLibrary, upload_id: uuid.UUID, chunks: AsyncIterable[bytes]
) -> UploadRead:
    """The `PUT` of the bytes (its URL's signature was checked by the route).

    The body is staged and sniffed outside any transaction — a slow client must not hold
    the database — and the upload row is updated in a short one afterwards."""
    database = library.database
    async with database.transaction(write=False) as session:
        upload = await repository.get_upload(session, upload_id)
    if upload is None or upload.expires_at < utcnow():
        raise NotFound(f"Upload {upload_id} does not exist or has expired.")
    # Each PUT stores under a key of its own: a PUT still streaming when another one (or
    # `complete`) has finished never changes the bytes behind an object's recorded sha256.
    key = storage_key(upload.org_id, new_id())
    async with staged_upload(library, chunks) as file:
        info = await _accept(file, ["body"], None)
        await library.storage.put_file(key, file.path, info.content_type)
    try:
        async with database.transaction() as session:
            received = await repository.get_upload(session, upload_id)
            if received is None or received.expires_at < utcnow():
                raise NotFound(f"Upload {upload_id} does not exist or has expired.")
            replaced = received.storage_key
            received.storage_key = key
            received.status_code = UploadStatus.RECEIVED
            received.content_type = info.content_type
            received.size_bytes = file.size_bytes
            received.sha256 = file.sha256
            received.width, received.height = info.width, info.height
            received.duration_ms = info.duration_ms
            await session.flush()
    except BaseException:
        await library.storage.delete(key)
        raise
    await library.storage.delete(replaced)  # the bytes of an earlier PUT, if any
    return await upload_read(library, received)


async def complete_upload(
    session: AsyncSession,
    library: MediaLibrary,
    principal: Principal,
    upload_id: uuid.UUID,
    outbox: Outbox,
) -> tuple[MediaRead, bool]:
    """The media object, and whether this call created it (a repeated call returns it)."""
    upload = await repository.get_upload(session, upload_id, principal.org_id)
    if upload is None:
        done = await repository.get_media(session, principal.org_id, upload_id)
        if done is None:
            raise NotFound(f"Upload {upload_id} does not exist.")
        return await media_read(library, done), False
    if upload.expires_at < utcnow():
        raise NotFound(f"Upload {upload_id} has expired.")
    if upload.status_code != UploadStatus.RECEIVED:
        raise Conflict("No bytes have been uploaded yet: PUT them to `upload_url` first.")
    claimed = await repository.claim_upload(session, upload_id)
    if claimed is None:
        # A concurrent `complete` got there first: return what it made.
        done = await repository.get_media(session, principal.org_id, upload_id)
        if done is None:
            raise NotFound(f"Upload {upload_id} does not exist.")
        return await media_read(library, done), False
    assert claimed.content_type is not None
    assert claimed.size_bytes is not None
    assert claimed.sha256 is not None
    media = Media(
        id=claimed.id,
        org_id=claimed.org_id,
        storage_key=claimed.storage_key,
        content_type=claimed.content_type,
        size_bytes=claimed.size_bytes,
        sha256=claimed.sha256,
        width=claimed.width,
        height=claimed.height,
        duration_ms=claimed.duration_ms,
        folder=claimed.folder,
        source_code=MediaSource.UPLOAD,
    )
    session.add(media)
    await session.flush()
    return await _created(session, library, media, outbox), True

"""Queries on media objects and uploads; every read is scoped to an org."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.media.models import Media, MediaUpload

_uploads = cast(Table, MediaUpload.__table__)


async def get_media(session: AsyncSession, org_id: uuid.UUID, media_id: uuid.UUID) -> Media | None:
    media: Media | None = await session.scalar(
        select(Media).where(Media.org_id == org_id, Media.id == media_id)
    )
    return media


async def get_media_any_org(session: AsyncSession, media_id: uuid.UUID) -> Media | None:
    """For signed URLs only: the signature, not an org, is what grants access."""
    return await session.get(Media, media_id)


async def media_owners(
    session: AsyncSession, media_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The org of each of `media_ids` that exists, in one query (none when there are none)."""
    if not media_ids:
        return {}
    rows = await session.execute(select(Media.id, Media.org_id).where(Media.id.in_(media_ids)))
    return {media_id: org_id for media_id, org_id in rows}


async def delete_media(session: AsyncSession, media: Media) -> None:
    await session.execute(delete(Media).where(Media.id == media.id))


async def get_upload(
    session: AsyncSession, upload_id: uuid.UUID, org_id: uuid.UUID | None = None
) -> MediaUpload | None:
    statement = select(MediaUpload).where(MediaUpload.id == upload_id)
    if org_id is not None:
        statement = statement.where(MediaUpload.org_id == org_id)
    upload: MediaUpload | None = await session.scalar(statement)
    return upload


async def expired_uploads(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[MediaUpload]:
    return (
        await session.scalars(select(MediaUpload).where(MediaUpload.expires_at < now).limit(limit))
    ).all()


async def claim_upload(session: AsyncSession, upload_id: uuid.UUID) -> MediaUpload | None:
    """Delete the upload row and return it as it was then, or None when it was already gone.

    Under PostgreSQL the delete waits for a concurrent `complete` or `PUT` to commit, so the
    row returned is the latest one (never stale), and None means another `complete` took it."""
    row = (
        await session.execute(
            delete(MediaUpload)
            .where(MediaUpload.id == upload_id)
            .returning(*_uploads.columns)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    return None if row is None else MediaUpload(**row._asdict())


async def delete_uploads(session: AsyncSession, upload_ids: Sequence[uuid.UUID]) -> None:
    if upload_ids:
        await session.execute(delete(MediaUpload).where(MediaUpload.id.in_(upload_ids)))

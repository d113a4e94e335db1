"""Media objects and the pending uploads of the three-step flow."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin


class MediaSource(enum.StrEnum):
    UPLOAD = "upload"
    URL = "url"
    DATA_URI = "data_uri"
    OUTPUT = "output"


class Media(IdMixin, CreatedAtMixin, Base):
    """Bytes held in the media storage under `storage_key`, described by what was sniffed."""

    __tablename__ = "media"
    __table_args__ = (
        # Newest-first pages of an org's media, all of it or one folder.
        Index(None, "org_id", "id"),
        Index(None, "org_id", "folder", "id"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_ms: Mapped[int | None]
    folder: Mapped[str | None] = mapped_column(String(255))
    source_code: Mapped[str] = mapped_column(String(20))
    source_url: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[uuid.UUID | None]


class UploadStatus(enum.StrEnum):
    PENDING = "pending"
    RECEIVED = "received"


class MediaUpload(IdMixin, CreatedAtMixin, Base):
    """An upload waiting for its bytes (`pending`) or for `complete` (`received`).

    Its id becomes the media object's id. Each `PUT` stores its bytes under a fresh key and
    records it in `storage_key` (dropping the previous PUT's bytes), so completing moves
    nothing and a late PUT never changes a completed object's bytes.
    """

    __tablename__ = "media_uploads"
    __table_args__ = (Index(None, "expires_at"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    folder: Mapped[str | None] = mapped_column(String(255))
    status_code: Mapped[str] = mapped_column(String(20), default=UploadStatus.PENDING)
    expires_at: Mapped[datetime]
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_ms: Mapped[int | None]

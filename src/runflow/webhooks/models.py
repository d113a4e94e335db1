"""An org's signing secrets: the newest signs; a rotated-out one keeps signing until it expires."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin


class SigningSecret(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "webhook_signing_secrets"
    __table_args__ = (Index(None, "org_id", "created_at"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    # Kept readable: an HMAC key must be known to sign. `whsec_` + base64 of 32 random bytes.
    secret: Mapped[str] = mapped_column(String(100))
    # Null while current; set to rotation time + grace when a newer secret replaces it.
    expires_at: Mapped[datetime | None]

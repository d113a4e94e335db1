"""A signed-in browser: its session, kept server-side."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin


class DashboardSession(IdMixin, CreatedAtMixin, Base):
    """The browser holds a random token (in a signed cookie); this row holds its hash and the
    API key the browser signed in with, encrypted under a key derived from that token. The
    database alone therefore reveals no API key."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    sealed_api_key: Mapped[bytes] = mapped_column(LargeBinary)
    csrf_token: Mapped[str] = mapped_column(String(64))
    # The organization chosen in the switcher (`X-Organization-Id`); null: the key's default.
    org_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    expires_at: Mapped[datetime] = mapped_column(index=True)

"""Webhook tables: signing secrets, the endpoints an org subscribes, and the events they get.

An org's batch and run callbacks are signed with the org's secrets (`endpoint_id` null); each
endpoint has secrets of its own. The newest signs; a rotated-out one keeps signing until it
expires. Endpoint deliveries live beside batch callbacks in `callback_deliveries`, so one queue,
one sender and one history serve both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin, TimestampsMixin
from runflow.db.types import JSONText


class SigningSecret(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "webhook_signing_secrets"
    __table_args__ = (Index(None, "org_id", "created_at"), Index(None, "endpoint_id"))

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    # Null: the org's own secret, for batch and run callbacks.
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # Kept readable: an HMAC key must be known to sign. `whsec_` + base64 of 32 random bytes.
    secret: Mapped[str] = mapped_column(String(100))
    # Null while current; set to rotation time + grace when a newer secret replaces it.
    expires_at: Mapped[datetime | None]


class WebhookEndpoint(IdMixin, TimestampsMixin, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        # What every event-writing transaction asks: which live endpoints does this org have.
        Index(
            "ix_webhook_endpoints_live_org",
            "org_id",
            sqlite_where=text("enabled AND deleted_at IS NULL"),
            postgresql_where=text("enabled AND deleted_at IS NULL"),
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    # Event type names, or ["*"] for all of them.
    event_types: Mapped[list[Any]]
    enabled: Mapped[bool] = mapped_column(default=True)
    # Why it is disabled: "MANUAL" (a PATCH) or "FAILING" (every attempt failed too long).
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    # When the current unbroken run of failed attempts began; null after any success.
    failing_since: Mapped[datetime | None]
    # Deleted endpoints stay as rows so their delivery history keeps its endpoint.
    deleted_at: Mapped[datetime | None]


class Event(IdMixin, Base):
    __tablename__ = "events"
    __table_args__ = (Index(None, "org_id", "created_at"), Index(None, "created_at"))

    # No foreign keys on rows written by the thousand a second (migration 0016): each id
    # comes from the transaction that writes the row, and none of these parents is deleted.
    org_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime]
    # The resource as its GET returned it when the event happened; stored as written.
    data: Mapped[dict[str, Any]] = mapped_column(JSONText)

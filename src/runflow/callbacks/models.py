"""Callback outbox: one delivery row per intended POST, one attempt row per try.

A delivery is a batch's or a lone run's callback (`endpoint_id` null), or an event's delivery to
one webhook endpoint (`endpoint_id` and `event_id` set).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from runflow.db.base import Base, CreatedAtMixin, IdMixin, TimestampsMixin, partial_index


class CallbackDelivery(IdMixin, TimestampsMixin, Base):
    __tablename__ = "callback_deliveries"
    __table_args__ = (
        # Exactly one automatic callback per batch, enforced by the database itself.
        partial_index(
            "uq_callback_deliveries_automatic_batch",
            "batch_id",
            where="is_automatic AND endpoint_id IS NULL",
            unique=True,
        ),
        # The sender's two lanes (`callbacks/queue.py`): due callbacks, due event deliveries.
        partial_index(
            "ix_callback_deliveries_due_callbacks",
            "next_attempt_at",
            where="status_code = 'pending' AND endpoint_id IS NULL",
        ),
        partial_index(
            "ix_callback_deliveries_due_events",
            "next_attempt_at",
            "endpoint_id",
            where="status_code = 'pending' AND endpoint_id IS NOT NULL",
        ),
        # A batch's and a run's own callback history; event deliveries, which carry a batch
        # or a run too, are found through their org and endpoint instead, and each of them
        # spares two index updates.
        partial_index("ix_callback_deliveries_batch_id", "batch_id", where="endpoint_id IS NULL"),
        partial_index("ix_callback_deliveries_run_id", "run_id", where="endpoint_id IS NULL"),
        Index(None, "org_id", "created_at"),
        # An endpoint's history. Without its batch and run callbacks: SQLite, which keeps no
        # statistics, would otherwise read `endpoint_id IS NULL` through it — every callback
        # there ever was, at every claim of the callbacks' lane.
        partial_index(
            "ix_callback_deliveries_endpoint_id_created_at",
            "endpoint_id",
            "created_at",
            where="endpoint_id IS NOT NULL",
        ),
    )

    # No foreign keys on rows written by the thousand a second (migration 0016): each id
    # comes from the transaction that writes the row, and none of these parents is deleted.
    org_id: Mapped[uuid.UUID]
    batch_id: Mapped[uuid.UUID | None]
    run_id: Mapped[uuid.UUID | None]
    endpoint_id: Mapped[uuid.UUID | None]
    # No foreign key: an event is pruned after its retention, its deliveries' history is not.
    event_id: Mapped[uuid.UUID | None]
    # `batch.succeeded`, `run.failed`, … : what the delivery tells, for filtering the history.
    event_type: Mapped[str | None] = mapped_column(String(50))
    callback_url: Mapped[str] = mapped_column(String(2048))
    # The exact bytes POSTed on every attempt, frozen when the delivery is created.
    payload_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    signing_secret_id: Mapped[uuid.UUID | None]
    is_automatic: Mapped[bool] = mapped_column(default=True)
    status_code: Mapped[str] = mapped_column(String(20), default="pending")
    failure_reason_code: Mapped[str | None] = mapped_column(String(50))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    attempt_count: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Set while a sender holds the delivery for an attempt. `attempt_count` was incremented by
    # that claim and fences its result; a lease that runs out means the sender died mid-attempt.
    lease_expires_at: Mapped[datetime | None]

    attempts: Mapped[list[CallbackAttempt]] = relationship(
        primaryjoin="foreign(CallbackAttempt.delivery_id) == CallbackDelivery.id",
        order_by="CallbackAttempt.attempt_number",
        lazy="raise",
    )


class CallbackAttempt(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "callback_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(index=True)  # no foreign key (0016)
    attempt_number: Mapped[int]
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    response_time_ms: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)

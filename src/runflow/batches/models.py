"""Batch and batch item tables. An item's live state is its run's (joined, never copied)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin


class BatchStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self not in (BatchStatus.QUEUED, BatchStatus.RUNNING)


class Batch(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "batches"
    __table_args__ = (Index(None, "org_id", "created_at"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id"))
    target_type_code: Mapped[str] = mapped_column(String(30), default="model")
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("models.id"))
    status_code: Mapped[str] = mapped_column(String(30), default=BatchStatus.QUEUED, index=True)
    source_code: Mapped[str] = mapped_column(String(30), default="api")
    # The batch whose items this one retries (`POST /v1/batches/{id}/retry`), if any.
    retry_of: Mapped[uuid.UUID | None]
    items_total: Mapped[int]
    items_succeeded: Mapped[int] = mapped_column(default=0)
    items_failed: Mapped[int] = mapped_column(default=0)
    items_cancelled: Mapped[int] = mapped_column(default=0)
    input: Mapped[list[Any]]
    resolved_template_id: Mapped[uuid.UUID | None]
    dispatch_provider_link_id: Mapped[uuid.UUID | None]
    cost: Mapped[Decimal] = mapped_column(default=Decimal(0))
    output: Mapped[dict[str, Any] | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    callback_url: Mapped[str | None] = mapped_column(String(2048))
    duration_ms: Mapped[int | None]
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    failure_stage_code: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[uuid.UUID | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Set when the customer cancels: the batch then ends `cancelled` whatever its items did.
    cancel_requested_at: Mapped[datetime | None]

    @property
    def items_terminal(self) -> int:
        return self.items_succeeded + self.items_failed + self.items_cancelled


class BatchItem(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "batch_items"
    __table_args__ = (Index(None, "batch_id", "sequence_index", unique=True),)

    # No foreign keys on rows written by the thousand a second (migration 0016): each id
    # comes from the transaction that writes the row, and none of these parents is deleted.
    batch_id: Mapped[uuid.UUID]
    sequence_index: Mapped[int]
    run_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    client_ref: Mapped[str | None] = mapped_column(String(255))

"""Node runs (one per node execution of a run's flow) and run logs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin
from runflow.kit.clock import utcnow


class NodeRun(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "node_runs"
    __table_args__ = (Index(None, "run_id", "created_at"),)

    # No foreign keys on rows written by the thousand a second (migration 0016): each id
    # comes from the transaction that writes the row, and none of these parents is deleted.
    run_id: Mapped[uuid.UUID]
    node_id: Mapped[uuid.UUID]
    node_key: Mapped[str] = mapped_column(String(100))
    node_type: Mapped[str] = mapped_column(String(100))
    flow_id: Mapped[uuid.UUID | None]
    state_code: Mapped[str] = mapped_column(String(20))
    input: Mapped[dict[str, Any] | None]
    output: Mapped[dict[str, Any] | None]
    # Shown and filtered within a run; the cache itself is keyed on disk (`node_cache.py`), so
    # no index: a random hash would cost every node run an insert into a random page.
    input_signature: Mapped[str] = mapped_column(String(64))
    preview_type: Mapped[str | None] = mapped_column(String(30))
    preview_value: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    cost: Mapped[Decimal | None]
    retry_count: Mapped[int] = mapped_column(default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class RunLog(IdMixin, Base):
    __tablename__ = "run_logs"
    __table_args__ = (Index(None, "run_id", "timestamp"),)

    run_id: Mapped[uuid.UUID]  # no foreign key, as for node runs
    level_code: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any] | None]

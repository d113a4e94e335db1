"""The runs table. It is also the engine's durable queue (DESIGN §5)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Index, String, Text, literal
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin, partial_index


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_RUN_STATUSES


TERMINAL_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


class FailureStage(enum.StrEnum):
    VALIDATION = "validation"
    DISPATCH = "dispatch"
    EXECUTION = "execution"
    OUTPUT = "output"


class Run(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index(None, "org_id", "created_at"),
        # The engine's indexes hold the runs it works on, not every run there ever was: a
        # run leaves them when it ends, so its last write updates three indexes, not five,
        # and they stay as small as the queue however large the table grows.
        # Claims: orgs with queued runs (loose index scan), then their due runs in the
        # claim's order, so a claim reads only the runs it takes.
        partial_index(
            "ix_runs_queued", "org_id", "available_at", "id", where="status_code = 'queued'"
        ),
        # Leases that ran out; the running runs counted against an org's cap.
        partial_index("ix_runs_running", "lease_expires_at", where="status_code = 'running'"),
        # A worker's own runs (lease renewals, handing runs back when it stops).
        partial_index("ix_runs_lease_owner", "lease_owner", where="lease_owner IS NOT NULL"),
    )

    # No foreign keys on rows written by the thousand a second (migration 0016): each id
    # comes from the transaction that writes the row, and none of these parents is deleted.
    org_id: Mapped[uuid.UUID]
    model_id: Mapped[uuid.UUID]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    target_type: Mapped[str] = mapped_column(String(30), default="model")
    target_version: Mapped[str | None] = mapped_column(String(50))
    flow_id: Mapped[uuid.UUID | None]
    flow_version_id: Mapped[uuid.UUID | None]
    comfyui_workflow_id: Mapped[uuid.UUID | None]
    resolved_template_id: Mapped[uuid.UUID | None]
    status_code: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED)
    source_code: Mapped[str] = mapped_column(String(30), default="api")
    # The run this one re-runs (`POST /v1/runs/{id}/rerun`), if any.
    rerun_of: Mapped[uuid.UUID | None]
    input: Mapped[dict[str, Any]]
    output: Mapped[dict[str, Any] | None]
    context: Mapped[dict[str, Any] | None]
    duration_ms: Mapped[int | None]
    cost: Mapped[Decimal | None]
    # The estimate held back from the org's balance for this run (enforced orgs only); it is
    # released when the run ends, whatever it cost.
    credit_reserved: Mapped[Decimal | None]
    cost_breakdown: Mapped[dict[str, Any] | None]
    nodes_total: Mapped[int | None]
    nodes_completed: Mapped[int | None]
    client_ref: Mapped[str | None] = mapped_column(String(255))
    jurisdiction_code: Mapped[str | None] = mapped_column(String(10))
    request_id: Mapped[str | None] = mapped_column(String(100))
    callback_url: Mapped[str | None] = mapped_column(String(2048))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    failure_stage_code: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[uuid.UUID | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    # Engine bookkeeping. `attempt` is the fencing token: a completion carrying an older
    # attempt than the row's is from a worker whose lease was taken away, and is discarded.
    attempt: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]


def status_is(status: RunStatus) -> ColumnElement[bool]:
    """`runs.status_code = '<status>'` with the status written into the SQL, so that the
    partial indexes of queued and running runs serve the statement: neither SQLite nor a
    PostgreSQL generic plan sees through a bound parameter to the condition of an index."""
    return Run.status_code == literal(status.value, literal_execute=True)

"""The workers table: one row per engine process, renewed by its heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base


class Worker(Base):
    __tablename__ = "workers"

    # `host:pid:random`, the dispatcher's id and the `lease_owner` of the runs it holds.
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    # The `--models` patterns it claims (`["*"]`: every model).
    models: Mapped[list[Any]]
    concurrency: Mapped[int]
    in_flight: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)

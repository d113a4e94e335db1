"""The credit ledger: every change of an org's balance, with the balance it left."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, IdMixin


class TransactionKind(enum.StrEnum):
    GRANT = "grant"
    USAGE = "usage"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class CreditTransaction(IdMixin, Base):
    __tablename__ = "credit_transactions"
    __table_args__ = (Index("ix_credit_transactions_org_created", "org_id", "created_at", "id"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    # Signed: a grant adds, usage takes away.
    amount: Mapped[Decimal]
    balance_after: Mapped[Decimal]
    kind_code: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[uuid.UUID | None]
    batch_id: Mapped[uuid.UUID | None]
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

"""The credit ledger: every change of an org's balance, with the balance it left."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, String
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

    # No foreign keys on rows written by the thousand a second (migration 0016): each id
    # comes from the transaction that writes the row, and none of these parents is deleted.
    org_id: Mapped[uuid.UUID]
    # Signed: a grant adds, usage takes away.
    amount: Mapped[Decimal]
    balance_after: Mapped[Decimal]
    kind_code: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[uuid.UUID | None]
    batch_id: Mapped[uuid.UUID | None]
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

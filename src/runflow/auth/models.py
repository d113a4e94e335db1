"""Tenancy tables: organisations, users, memberships with roles, and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from runflow.db.base import Base, CreatedAtMixin, IdMixin


class Org(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "orgs"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Changed only together with a row of the credit ledger (`credits/ledger.py`).
    credit_balance: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # What accepted, unfinished runs may still cost: held back from the balance when enforced.
    credit_reserved: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    # Whether creates must fit in `credit_balance - credit_reserved` (DESIGN §16).
    credits_enforced: Mapped[bool] = mapped_column(default=False, server_default=false())
    # `credits.low` fires when the balance crosses below this; None: never.
    low_balance_threshold: Mapped[Decimal | None]
    # Runs of this org executing at once, across all workers; None = no cap.
    max_concurrent_runs: Mapped[int | None]


class User(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    email_verified_at: Mapped[datetime | None]


class Membership(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Free text rather than an enum column: a role the service no longer knows must still load
    # and be reported as ROLE_UNRESOLVED rather than crash the request.
    role: Mapped[str | None] = mapped_column(String(32))


class ApiKey(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "api_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    default_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    # The first characters of the key, unique: finds the row without storing the secret.
    lookup_prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    is_impersonation: Mapped[bool] = mapped_column(default=False)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

"""Credits: the ledger, reservations, enforcement and the low-balance threshold (DESIGN §16)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 06:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from runflow.db.types import Money, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("balance_after", Money(), nullable=False),
        sa.Column("kind_code", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_credit_transactions_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_transactions")),
    )
    op.create_index(
        "ix_credit_transactions_org_created",
        "credit_transactions",
        ["org_id", "created_at", "id"],
    )
    with op.batch_alter_table("orgs") as batch:
        batch.add_column(sa.Column("credit_reserved", Money(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("credits_enforced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("low_balance_threshold", Money(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("credit_reserved", Money(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("credit_reserved")
    with op.batch_alter_table("orgs") as batch:
        batch.drop_column("low_balance_threshold")
        batch.drop_column("credits_enforced")
        batch.drop_column("credit_reserved")
    op.drop_index("ix_credit_transactions_org_created", table_name="credit_transactions")
    op.drop_table("credit_transactions")

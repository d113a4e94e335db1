"""models: provider, provider settings, concurrency and queue timeout (own models, §13)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(
            sa.Column(
                "provider_code", sa.String(length=30), nullable=False, server_default="builtin"
            )
        )
        batch.add_column(
            sa.Column(
                "provider_settings",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("concurrency", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("queue_timeout_s", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("queue_timeout_s")
        batch.drop_column("concurrency")
        batch.drop_column("provider_settings")
        batch.drop_column("provider_code")

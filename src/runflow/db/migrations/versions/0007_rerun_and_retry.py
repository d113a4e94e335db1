"""runs.rerun_of and batches.retry_of: where a re-run or a retry came from (§17)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("rerun_of", sa.Uuid(), nullable=True))
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("retry_of", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("retry_of")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("rerun_of")

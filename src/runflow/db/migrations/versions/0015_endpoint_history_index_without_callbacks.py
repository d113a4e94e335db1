"""The index of an endpoint's deliveries leaves out batch and run callbacks

SQLite keeps no statistics, so it judged `endpoint_id IS NULL` — the condition of the
callbacks' lane — as selective as any equality and read it through this index, then sorted:
every batch and run callback there had ever been, at every claim of that lane (22 ms at
20,000 callbacks), instead of the lane's own index of due callbacks. Holding only endpoints'
deliveries, the index cannot serve that condition, and callbacks no longer write to it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 03:33:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_callback_deliveries_endpoint_id_created_at"


def upgrade() -> None:
    condition = sa.text("endpoint_id IS NOT NULL")
    with op.batch_alter_table("callback_deliveries", schema=None) as batch_op:
        batch_op.drop_index(_NAME)
        batch_op.create_index(
            _NAME,
            ["endpoint_id", "created_at"],
            unique=False,
            sqlite_where=condition,
            postgresql_where=condition,
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_deliveries", schema=None) as batch_op:
        batch_op.drop_index(_NAME)
        batch_op.create_index(_NAME, ["endpoint_id", "created_at"], unique=False)

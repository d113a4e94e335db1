"""Node runs without an index on their input signature

Nothing reads node runs by signature across runs: the node cache is keyed on disk, and a
run's node runs are listed (and filtered by signature) through their run's index. The index
cost every node run an insert of a random SHA-256 key, into a random page of a b-tree as
large as the table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 03:08:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("node_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_node_runs_input_signature")


def downgrade() -> None:
    with op.batch_alter_table("node_runs", schema=None) as batch_op:
        batch_op.create_index("ix_node_runs_input_signature", ["input_signature"], unique=False)

"""Run claims read due runs in index order

The engine claims an org's due runs ordered by `(available_at, id)`. The index ended at
`available_at`, so every claim read and sorted all of the org's queued runs (10,000 at the
start of S1) to take the first few hundred; with `id` in the index a claim reads only what
it takes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runs_status_code_org_id_available_at_id"),
            ["status_code", "org_id", "available_at", "id"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_runs_status_code_org_id_available_at"))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runs_status_code_org_id_available_at"),
            ["status_code", "org_id", "available_at"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_runs_status_code_org_id_available_at_id"))

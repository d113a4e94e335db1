"""The engine's indexes on runs hold queued and running runs only

The claim index began with `status_code` and held every run, as did the index on
`lease_owner`. A run's claim and its completion change those columns, so each wrote a new
entry into all five of the table's indexes, and the entries of ended runs stayed there.
Now queued runs have their index (the claims'), running runs theirs (expired leases), and
leased runs theirs (a worker's own): a run that ends leaves all three, its completion
updates three indexes, and each of them is as large as the queue, not the table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = {
    "ix_runs_queued": (["org_id", "available_at", "id"], "status_code = 'queued'"),
    "ix_runs_running": (["lease_expires_at"], "status_code = 'running'"),
    "ix_runs_lease_owner": (["lease_owner"], "lease_owner IS NOT NULL"),
}


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_status_code_org_id_available_at_id")
        batch_op.drop_index("ix_runs_lease_owner")
        for name, (columns, where) in _PARTIAL.items():
            condition = sa.text(where)
            batch_op.create_index(
                name, columns, unique=False, sqlite_where=condition, postgresql_where=condition
            )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        for name in _PARTIAL:
            batch_op.drop_index(name)
        batch_op.create_index("ix_runs_lease_owner", ["lease_owner"], unique=False)
        batch_op.create_index(
            "ix_runs_status_code_org_id_available_at_id",
            ["status_code", "org_id", "available_at", "id"],
            unique=False,
        )

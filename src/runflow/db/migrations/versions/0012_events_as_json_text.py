"""Events' data as JSON text; delivery bodies compressed with LZ4 (PostgreSQL)

Every event an endpoint wants is written in the transaction that causes it — ten thousand in
S1 with an endpoint on `*`. As `jsonb`, PostgreSQL built a binary document of each event's
data (about 2 KB) on the way in, only for the API to turn it back into text on the way out:
it is never queried inside. As `json` it is checked and stored as it came.

A delivery's body (its exact bytes, about 2 KB for a `run.*` event) passes the size at which
PostgreSQL compresses a row; LZ4 does that several times faster than the default pglz, where
the server was built with it. Rows already stored keep their compression.

SQLite stores JSON as text already, and compresses nothing: nothing changes there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events ALTER COLUMN data TYPE json USING data::json")
    if _has_lz4():
        op.execute("ALTER TABLE callback_deliveries ALTER COLUMN payload_bytes SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events ALTER COLUMN data TYPE jsonb USING data::jsonb")
    if _has_lz4():
        op.execute(
            "ALTER TABLE callback_deliveries ALTER COLUMN payload_bytes SET COMPRESSION default"
        )


def _has_lz4() -> bool:
    """Whether this server was built with LZ4 (`--with-lz4`; PostgreSQL 14 and later)."""
    choices = op.get_bind().scalar(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    return choices is not None and "lz4" in choices

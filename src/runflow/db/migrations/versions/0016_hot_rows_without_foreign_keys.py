"""The engine's and the outbox's rows without foreign keys

Runs, batch items, node runs, run logs, credit transactions, events, callback deliveries and
their attempts are written by the thousand a second, each row by the transaction that read
or wrote the rows it names: its org, batch, run, model, endpoint or delivery. A foreign key
checked each of those ids again, row by row — on PostgreSQL a query and a lock on the parent
row per key — and none of those parents is ever deleted (endpoints are soft-deleted), so the
checks never refused a row and their cascades never ran. S1 on PostgreSQL spent 9 % of its
CPU on them, and 20 % of PostgreSQL's share of each webhook event (`bench/README.md`).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 05:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table, ON DELETE)
_KEYS: tuple[tuple[str, str, str, str | None], ...] = (
    ("runs", "org_id", "orgs", None),
    ("runs", "model_id", "models", None),
    ("runs", "batch_id", "batches", "CASCADE"),
    ("batch_items", "batch_id", "batches", "CASCADE"),
    ("batch_items", "run_id", "runs", "CASCADE"),
    ("node_runs", "run_id", "runs", "CASCADE"),
    ("run_logs", "run_id", "runs", "CASCADE"),
    ("credit_transactions", "org_id", "orgs", "CASCADE"),
    ("events", "org_id", "orgs", "CASCADE"),
    ("callback_deliveries", "org_id", "orgs", None),
    ("callback_deliveries", "batch_id", "batches", "CASCADE"),
    ("callback_deliveries", "run_id", "runs", "CASCADE"),
    ("callback_deliveries", "endpoint_id", "webhook_endpoints", None),
    ("callback_attempts", "delivery_id", "callback_deliveries", "CASCADE"),
)


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for table in dict.fromkeys(table for table, *_ in _KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, referred, _ in (key for key in _KEYS if key[0] == table):
                batch_op.drop_constraint(op.f(_name(table, column, referred)), type_="foreignkey")


def downgrade() -> None:
    for table in dict.fromkeys(table for table, *_ in _KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, referred, on_delete in (key for key in _KEYS if key[0] == table):
                batch_op.create_foreign_key(
                    op.f(_name(table, column, referred)),
                    referred,
                    [column],
                    ["id"],
                    ondelete=on_delete,
                )

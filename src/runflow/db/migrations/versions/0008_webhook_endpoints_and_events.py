"""Webhook endpoints, events, endpoint secrets, and what each delivery is of (DESIGN §15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 03:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from runflow.db.types import JSONDocument, UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("event_types", JSONDocument, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=20), nullable=True),
        sa.Column("metadata", JSONDocument, nullable=True),
        sa.Column("failing_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_webhook_endpoints_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        "ix_webhook_endpoints_live_org",
        "webhook_endpoints",
        ["org_id"],
        sqlite_where=sa.text("enabled AND deleted_at IS NULL"),
        postgresql_where=sa.text("enabled AND deleted_at IS NULL"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_events_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_org_id_created_at"), "events", ["org_id", "created_at"])
    op.create_index(op.f("ix_events_created_at"), "events", ["created_at"])

    with op.batch_alter_table("webhook_signing_secrets") as batch:
        batch.add_column(sa.Column("endpoint_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_webhook_signing_secrets_endpoint_id_webhook_endpoints"),
            "webhook_endpoints",
            ["endpoint_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_webhook_signing_secrets_endpoint_id"), ["endpoint_id"])
    with op.batch_alter_table("callback_deliveries") as batch:
        batch.add_column(sa.Column("endpoint_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("event_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("event_type", sa.String(length=50), nullable=True))
        batch.create_foreign_key(
            op.f("fk_callback_deliveries_endpoint_id_webhook_endpoints"),
            "webhook_endpoints",
            ["endpoint_id"],
            ["id"],
        )
        batch.create_index(
            op.f("ix_callback_deliveries_org_id_created_at"), ["org_id", "created_at"]
        )
        batch.create_index(
            op.f("ix_callback_deliveries_endpoint_id_created_at"), ["endpoint_id", "created_at"]
        )
        # Endpoint deliveries of `batch.*` events carry the batch too: the one-automatic-
        # callback-per-batch rule is about the batch's own callbacks.
        batch.drop_index("uq_callback_deliveries_automatic_batch")
        batch.create_index(
            "uq_callback_deliveries_automatic_batch",
            ["batch_id"],
            unique=True,
            sqlite_where=sa.text("is_automatic AND endpoint_id IS NULL"),
            postgresql_where=sa.text("is_automatic AND endpoint_id IS NULL"),
        )
    for column in ("batch_id", "run_id"):
        name = f"ix_callback_deliveries_{column}"
        op.drop_index(name, table_name="callback_deliveries")
        callbacks_only = sa.text("endpoint_id IS NULL")
        op.create_index(
            name,
            "callback_deliveries",
            [column],
            sqlite_where=callbacks_only,
            postgresql_where=callbacks_only,
        )
    # The lanes' partial indexes below replace it: one index fewer to keep on every delivery.
    op.drop_index(
        "ix_callback_deliveries_status_code_next_attempt_at", table_name="callback_deliveries"
    )
    for name, lane, columns in (
        ("ix_callback_deliveries_due_callbacks", "endpoint_id IS NULL", ["next_attempt_at"]),
        (
            "ix_callback_deliveries_due_events",
            "endpoint_id IS NOT NULL",
            ["next_attempt_at", "endpoint_id"],
        ),
    ):
        where = sa.text(f"status_code = 'pending' AND {lane}")
        op.create_index(
            name, "callback_deliveries", columns, sqlite_where=where, postgresql_where=where
        )
    # Existing callbacks tell of their batch's or run's terminal status.
    op.execute(
        "UPDATE callback_deliveries SET event_type = 'batch.' || "
        "(SELECT status_code FROM batches WHERE batches.id = callback_deliveries.batch_id) "
        "WHERE batch_id IS NOT NULL"
    )
    op.execute(
        "UPDATE callback_deliveries SET event_type = 'run.' || "
        "(SELECT status_code FROM runs WHERE runs.id = callback_deliveries.run_id) "
        "WHERE run_id IS NOT NULL AND batch_id IS NULL"
    )


def downgrade() -> None:
    for column in ("batch_id", "run_id"):
        name = f"ix_callback_deliveries_{column}"
        op.drop_index(name, table_name="callback_deliveries")
        op.create_index(name, "callback_deliveries", [column])
    op.drop_index("ix_callback_deliveries_due_events", table_name="callback_deliveries")
    op.drop_index("ix_callback_deliveries_due_callbacks", table_name="callback_deliveries")
    op.create_index(
        "ix_callback_deliveries_status_code_next_attempt_at",
        "callback_deliveries",
        ["status_code", "next_attempt_at"],
    )
    with op.batch_alter_table("callback_deliveries") as batch:
        batch.drop_index("uq_callback_deliveries_automatic_batch")
        batch.create_index(
            "uq_callback_deliveries_automatic_batch",
            ["batch_id"],
            unique=True,
            sqlite_where=sa.text("is_automatic"),
            postgresql_where=sa.text("is_automatic"),
        )
        batch.drop_index(op.f("ix_callback_deliveries_endpoint_id_created_at"))
        batch.drop_index(op.f("ix_callback_deliveries_org_id_created_at"))
        batch.drop_constraint(
            op.f("fk_callback_deliveries_endpoint_id_webhook_endpoints"), type_="foreignkey"
        )
        batch.drop_column("event_type")
        batch.drop_column("event_id")
        batch.drop_column("endpoint_id")
    with op.batch_alter_table("webhook_signing_secrets") as batch:
        batch.drop_index(op.f("ix_webhook_signing_secrets_endpoint_id"))
        batch.drop_constraint(
            op.f("fk_webhook_signing_secrets_endpoint_id_webhook_endpoints"), type_="foreignkey"
        )
        batch.drop_column("endpoint_id")
    op.drop_index(op.f("ix_events_created_at"), table_name="events")
    op.drop_index(op.f("ix_events_org_id_created_at"), table_name="events")
    op.drop_table("events")
    op.drop_index("ix_webhook_endpoints_live_org", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")

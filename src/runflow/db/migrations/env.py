"""Alembic environment: runs on the connection handed over by `runflow.db.migrate`."""

from __future__ import annotations

from alembic import context

from runflow.db.metadata import target_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `runflow migrate`, which supplies a connection.")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

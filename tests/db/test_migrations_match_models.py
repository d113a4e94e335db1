"""The migrations build the schema the models declare, on both databases: a table, column or
index added to a model without its migration (or the other way round) fails here, not in a
customer's `runflow migrate`."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from runflow.db.engine import Database
from runflow.db.metadata import target_metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return list(compare_metadata(context, target_metadata))


async def test_a_migrated_database_has_exactly_the_models_schema(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await database.dispose()
    assert differences == []

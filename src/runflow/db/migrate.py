"""Alembic, driven from code: `runflow migrate`, automatic SQLite migration, readiness."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from runflow.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(database: Database) -> None:
    """Apply every pending migration in one transaction."""
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade)


class SchemaOutOfDate(RuntimeError):
    """The database is not at the revision this code was written for."""


async def ensure_schema_at_head(database: Database) -> None:
    async with database.engine.connect() as connection:
        revision = await connection.run_sync(current_revision)
    if revision != head_revision():
        raise SchemaOutOfDate(
            f"The database schema is at {revision or 'no revision'}, this Runflow needs "
            f"{head_revision()}: run `runflow migrate` first."
        )

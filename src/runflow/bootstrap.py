"""What a fresh database needs before anything uses it: its schema, the catalog (built-in
models and `RUNFLOW_MODELS`) and the bootstrap key. Shared by the app's start and every
`runflow` command, which imports this rather than the whole web app."""

from __future__ import annotations

from runflow.auth import service as auth_service
from runflow.catalog.models_file import load_models_files
from runflow.catalog.registry import register_models
from runflow.config import Settings
from runflow.db.engine import Database
from runflow.db.migrate import ensure_schema_at_head, upgrade_to_head


async def prepare_database(
    database: Database, settings: Settings, *, migrate: bool, catalog: bool = True
) -> None:
    """Schema, catalog and bootstrap key. A bad models file raises `ModelsFileError` before
    anything is written.

    `catalog=False` leaves the catalog as it is: a command that is not a service (`keys
    create`) does not see the service's models files, and registering without them would
    mark the service's own models unavailable."""
    own_models = load_models_files(settings.models) if catalog else []
    if database.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        await upgrade_to_head(database)
    else:
        await ensure_schema_at_head(database)
    async with database.transaction() as session:
        if catalog:
            await register_models(session, own_models)
        if settings.bootstrap_api_key:
            await auth_service.bootstrap(
                session, settings.bootstrap_api_key, credits_enforced=settings.credits_enforced
            )


async def open_database(settings: Settings, *, migrate: bool, catalog: bool = True) -> Database:
    """The configured database, prepared; the caller disposes of it."""
    database = Database(settings.resolved_database_url)
    await prepare_database(database, settings, migrate=migrate, catalog=catalog)
    return database


async def migrate_database(settings: Settings) -> None:
    """`runflow migrate`: the schema at its latest revision and the catalog registered."""
    database = await open_database(settings, migrate=True)
    await database.dispose()

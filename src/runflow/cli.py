"""The `runflow` command: serve, worker, migrate, workers, keys, credits.

Only the command that runs loads what it needs (the database layer, the web stack, the
engine): `runflow --help`, or a mistyped option, answers in a fraction of a second rather
than after importing the whole service.
"""

from __future__ import annotations

import asyncio
import enum
import json
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from runflow.auth.roles import Role
from runflow.kit.money import format_money

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from runflow.config import Settings
    from runflow.workers.models import Worker

T = TypeVar("T")


def _run(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed, as uvicorn does for `serve`."""
    try:
        import uvloop
    except ImportError:  # not on Windows
        return asyncio.run(main)
    return uvloop.run(main)


def _settings(log_level: str | None = None) -> Settings:
    """The service's settings, from the environment, with logging configured (at `log_level`
    when given, else at the configured level)."""
    from runflow.config import Settings
    from runflow.logs import configure_logging

    settings = Settings()
    configure_logging(log_level or settings.log_level, settings.log_format)
    return settings


def _check_models_files(settings: Settings) -> None:
    """Refuse to start on a bad models file or `--models` pattern, with one message."""
    from runflow.catalog.models_file import ModelsFileError, load_models_files
    from runflow.workers.patterns import BadPattern, ModelPatterns

    try:
        load_models_files(settings.models)
        ModelPatterns.parse(settings.worker_models)
    except (ModelsFileError, BadPattern) as error:
        typer.echo(f"runflow: {error}", err=True)
        raise typer.Exit(2) from None


app = typer.Typer(no_args_is_help=True, help="Runflow: run AI image and video models in batches.")
keys = typer.Typer(no_args_is_help=True, help="Manage API keys.")
app.add_typer(keys, name="keys")
credits = typer.Typer(no_args_is_help=True, help="Grant credits and enforce them (DESIGN §16).")
app.add_typer(credits, name="credits")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    migrate: Annotated[
        bool | None,
        typer.Option(help="Apply migrations at start (default: only for embedded SQLite)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="HTTP processes (PostgreSQL only). With more than one, the engine runs in a "
            "`runflow worker` process of its own, started and stopped with them.",
        ),
    ] = 1,
) -> None:
    """Run the HTTP API. With SQLite (the default) the database is created and migrated."""
    settings = _settings()
    settings.host = host or settings.host
    settings.port = port or settings.port
    _check_models_files(settings)
    if workers > 1 and settings.is_sqlite:
        typer.echo(
            "runflow: --workers needs PostgreSQL (RUNFLOW_DATABASE_URL): SQLite has one "
            "writer, and its live streams hear only their own process.",
            err=True,
        )
        raise typer.Exit(2)
    from runflow import serving  # the web stack and the engine: only these commands load it

    if workers > 1:
        if migrate:
            from runflow.bootstrap import migrate_database

            _run(migrate_database(settings))
        serving.serve_processes(settings, workers)
    else:
        serving.serve_api(settings, migrate)


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Runs in flight at once (default: RUNFLOW_WORKER_CONCURRENCY)."),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            help="The models to run, e.g. 'acme/*,runflow/echo' "
            "(default: RUNFLOW_WORKER_MODELS, else every model)."
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Serve this worker's /metrics on RUNFLOW_HOST at this port "
            "(default: RUNFLOW_WORKER_METRICS_PORT, else none).",
        ),
    ] = None,
) -> None:
    """Run the engine without the HTTP API: execute queued runs and send callbacks.

    Start as many as you need, on as many machines, against one PostgreSQL database.
    """
    settings = _settings()
    if concurrency is not None:
        settings.worker_concurrency = concurrency
    if models is not None:
        settings.worker_models = models
    if metrics_port is not None:
        settings.worker_metrics_port = metrics_port
    if settings.worker_concurrency <= 0:
        raise typer.BadParameter("a worker needs a concurrency of at least 1")
    _check_models_files(settings)
    from runflow import serving  # the engine and the models: only the serving commands load it

    serving.long_running()
    _run(serving.run_worker(settings))


@app.command()
def migrate() -> None:
    """Bring the database schema to the latest revision and register the catalog (the
    built-in models and those of RUNFLOW_MODELS)."""
    from runflow.bootstrap import migrate_database

    settings = _settings()
    _check_models_files(settings)
    _run(migrate_database(settings))
    typer.echo("database is at the latest revision", err=True)


@app.command("workers")
def list_workers(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the engine processes: id, host, the models each serves, runs in flight, last seen."""
    from rich.console import Console
    from rich.table import Table

    from runflow.bootstrap import open_database
    from runflow.kit.clock import utcnow
    from runflow.workers import registry as workers_registry

    settings = _settings("WARNING")

    async def run() -> list[Worker]:
        database = await open_database(settings, migrate=settings.is_sqlite, catalog=False)
        try:
            async with database.transaction(write=False) as session:
                return list(await workers_registry.list_workers(session))
        finally:
            await database.dispose()

    found = _run(run())
    now = utcnow()
    alive_within = timedelta(seconds=settings.lease_s)
    rows = [
        {
            "id": worker.id,
            "host": worker.host,
            "models": worker.models,
            "in_flight": worker.in_flight,
            "concurrency": worker.concurrency,
            "started_at": worker.started_at.isoformat(),
            "last_seen_at": worker.last_seen_at.isoformat(),
            "live": now - worker.last_seen_at <= alive_within,
        }
        for worker in found
    ]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    if not rows:
        typer.echo("no workers have registered", err=True)
        return
    table = Table("id", "host", "models", "in flight", "concurrency", "last seen", "state")
    for worker, row in zip(found, rows, strict=True):
        table.add_row(
            worker.id,
            worker.host,
            ",".join(worker.models),
            str(worker.in_flight),
            str(worker.concurrency),
            f"{(now - worker.last_seen_at).total_seconds():.0f} s ago",
            "live" if row["live"] else "gone",
        )
    Console().print(table)


def _in_transaction(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`action` in one transaction of the configured database; an unknown org exits 1."""
    from runflow.bootstrap import open_database
    from runflow.credits import refunds
    from runflow.credits import service as credits_service

    settings = _settings("WARNING")

    async def run() -> T:
        database = await open_database(settings, migrate=settings.is_sqlite, catalog=False)
        try:
            async with database.transaction() as session:
                return await action(session)
        finally:
            await database.dispose()

    try:
        return _run(run())
    except (
        credits_service.UnknownOrg,
        credits_service.UnknownTarget,
        refunds.NothingToRefund,
    ) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@keys.command("create")
def create_key(
    org: Annotated[str, typer.Option(help="Organization slug (created when missing).")],
    email: Annotated[str, typer.Option(help="User email (created when missing).")] = (
        "owner@runflow.local"
    ),
    role: Annotated[Role, typer.Option(help="Role of the user in the organization.")] = (
        Role.OWNER
    ),
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    impersonation: Annotated[
        bool, typer.Option(help="Issue a read-only impersonation key.")
    ] = False,
    unverified: Annotated[
        bool, typer.Option(help="Create the user with an unverified email address.")
    ] = False,
) -> None:
    """Create an API key and print it, alone, on stdout. It is shown only this once."""
    from runflow.auth import service as auth_service
    from runflow.config import Settings

    enforced = Settings().credits_enforced

    async def issue(session: AsyncSession) -> str:
        issued = await auth_service.issue_key(
            session,
            org_slug=org,
            email=email,
            role=role,
            verified=not unverified,
            impersonation=impersonation,
            name=name,
            credits_enforced=enforced,
        )
        return issued.token

    typer.echo(_in_transaction(issue))


OrgSlug = Annotated[str, typer.Option("--org", help="Organization slug.")]


def _amount(text: str) -> Decimal:
    from runflow.credits import service as credits_service

    try:
        return credits_service.parse_amount(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@credits.command("grant")
def grant_credits(
    org: OrgSlug,
    amount: Annotated[
        Decimal, typer.Argument(parser=_amount, help="Credits to add, e.g. 25 or 0.50.")
    ],
    description: Annotated[str | None, typer.Option(help="Shown on the ledger row.")] = None,
) -> None:
    """Add credits to an organization's balance, with a `grant` row in its ledger."""
    from runflow.credits import service as credits_service

    row = _in_transaction(lambda session: credits_service.grant(session, org, amount, description))
    typer.echo(f"granted {format_money(amount)}; balance {format_money(row.balance_after)}")


def _signed_amount(text: str) -> Decimal:
    """An adjustment: a plain decimal, negative to take credits away."""
    given = text.strip()
    if given.startswith("-"):
        return -_amount(given[1:])
    return _amount(given)


@credits.command("adjust")
def adjust_credits(
    org: OrgSlug,
    amount: Annotated[
        Decimal,
        typer.Argument(
            parser=_signed_amount, help="Credits to add, or to take away with a minus: -2.50."
        ),
    ],
    description: Annotated[
        str, typer.Option(help="Why: shown on the ledger row (required, for the books).")
    ],
) -> None:
    """Correct an organization's balance either way, with an `adjustment` row saying why."""
    if not description.strip():
        raise typer.BadParameter("say why the balance is adjusted", param_hint="--description")
    from runflow.callbacks.outbox import Outbox
    from runflow.config import Settings
    from runflow.credits import service as credits_service

    # A delivery of `credits.low` written here is sent by the service's sender.
    outbox = Outbox.from_settings(Settings())
    row = _in_transaction(
        lambda session: credits_service.adjust(session, org, amount, description.strip(), outbox)
    )
    typer.echo(f"adjusted {format_money(amount)}; balance {format_money(row.balance_after)}")


@credits.command("refund")
def refund_credits(
    org: OrgSlug,
    run: Annotated[uuid.UUID | None, typer.Option(help="Refund this run.")] = None,
    batch: Annotated[uuid.UUID | None, typer.Option(help="Refund every run of this batch.")] = None,
    description: Annotated[str | None, typer.Option(help="Shown on the ledger rows.")] = None,
) -> None:
    """Give back what a run, or each run of a batch, was charged.

    Less earlier refunds, so nothing is refunded twice; one `refund` row per run."""
    if (run is None) == (batch is None):
        raise typer.BadParameter("give --run or --batch (one of them)")
    from runflow.credits import service as credits_service

    refunded = _in_transaction(
        lambda session: credits_service.refund(
            session, org, run_id=run, batch_id=batch, description=description
        )
    )
    runs = f"{refunded.runs} run{'' if refunded.runs == 1 else 's'}"
    typer.echo(
        f"refunded {format_money(refunded.amount)} for {runs}; "
        f"balance {format_money(refunded.balance_after)}"
    )


class Switch(enum.StrEnum):
    ON = "on"
    OFF = "off"


@credits.command("enforce")
def enforce_credits(
    org: OrgSlug,
    switch: Annotated[Switch, typer.Argument(help="on: refuse creates the credits cannot cover.")],
) -> None:
    """Turn enforcement on or off.

    When on, a create whose estimate exceeds the balance less what is reserved is refused with
    402 INSUFFICIENT_CREDITS."""
    from runflow.credits import service as credits_service

    enforced = switch is Switch.ON
    _in_transaction(lambda session: credits_service.enforce(session, org, enforced))
    typer.echo(f"credits enforcement is {switch.value} for {org}")


@credits.command("threshold")
def set_low_balance_threshold(
    org: OrgSlug,
    amount: Annotated[
        str, typer.Argument(help="The balance under which `credits.low` fires, or off.")
    ],
) -> None:
    """Set the balance under which `credits.low` fires (once per crossing), or turn it off."""
    from runflow.credits import service as credits_service

    threshold = None if amount == "off" else _amount(amount)
    _in_transaction(lambda session: credits_service.set_threshold(session, org, threshold))
    shown = "off" if threshold is None else format_money(threshold)
    typer.echo(f"low-balance threshold for {org}: {shown}")


def main() -> None:
    app()

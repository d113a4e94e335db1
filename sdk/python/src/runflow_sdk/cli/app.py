"""The `rf` command: its global options, its sub-commands, and how failures end it."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import typer

from runflow_sdk import APIConnectionError, APIStatusError, Runflow, RunflowError
from runflow_sdk.cli.output import err

app = typer.Typer(
    name="rf",
    help="The Runflow API from a shell. Exit codes: 0 ok, 1 API error, 2 usage error.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@dataclass
class Settings:
    api_key: str | None
    base_url: str | None

    def client(self) -> Runflow:
        return Runflow(api_key=self.api_key, base_url=self.base_url)


@app.callback()
def options(
    ctx: typer.Context,
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="RUNFLOW_API_KEY", help="API key.", show_default=False
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", envvar="RUNFLOW_BASE_URL", help="Service URL.", show_default=False
    ),
) -> None:
    ctx.obj = Settings(api_key, base_url)


def client_of(ctx: typer.Context) -> Runflow:
    settings: Settings = ctx.obj
    return settings.client()


def usage_error(message: str) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(2)


def _register() -> None:
    from runflow_sdk.cli import batches, evaluations, media, models, runs

    app.add_typer(models.app, name="models")
    app.add_typer(batches.app, name="batches")
    app.add_typer(runs.app, name="runs")
    app.add_typer(media.app, name="media")
    app.add_typer(evaluations.app, name="evaluations")


def main() -> None:
    """Run `rf`, turning the SDK's errors into a message and an exit code."""
    _register()
    try:
        app()  # usage errors end it with 2, as Click does
    except APIStatusError as exc:
        err.print(f"error: {exc.code}: {exc.message}", markup=False)
        for problem in exc.errors or []:
            location = ".".join(str(part) for part in problem.get("loc", []))
            err.print(f"  {location}: {problem.get('msg')}", markup=False)
        if exc.request_id:
            err.print(f"  request id: {exc.request_id}", markup=False)
        sys.exit(1)
    except APIConnectionError as exc:
        err.print(f"error: {exc.message}", markup=False)
        sys.exit(1)
    except (RunflowError, ValueError) as exc:  # no key; a model that is not OWNER/SLUG
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)

"""`rf runs`: inspect a run, read its logs, run it again."""

from __future__ import annotations

import json

import typer

from runflow_sdk.cli.app import client_of, usage_error
from runflow_sdk.cli.output import Format, print_json, print_rows

app = typer.Typer(help="Single runs: inspect, logs, re-run.", no_args_is_help=True)


@app.command("get")
def get(ctx: typer.Context, run_id: str = typer.Argument(..., help="Run id")) -> None:
    """A run, as JSON."""
    print_json(client_of(ctx).runs.get(run_id))


@app.command("logs")
def logs(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id"),
    fmt: Format = typer.Option(Format.table, "--format", help="Output."),
) -> None:
    """The run's log lines, oldest first."""
    lines = list(client_of(ctx).runs.logs(run_id, limit=500))
    print_rows(lines, fmt, ["created_at", "level_code", "message"])


@app.command("rerun")
def rerun(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id"),
    input: str | None = typer.Option(None, "--input", help="Input overrides, a JSON object"),
    wait: bool = typer.Option(False, "--wait", help="Wait until the new run ends"),
) -> None:
    """A new run of the same model on the stored input, with overrides."""
    overrides = None
    if input is not None:
        try:
            overrides = json.loads(input)
        except json.JSONDecodeError as exc:
            raise usage_error(f"--input is not JSON: {exc.msg}") from None
        if not isinstance(overrides, dict):
            raise usage_error("--input must be a JSON object")
    client = client_of(ctx)
    run = client.runs.rerun(run_id, input=overrides)
    print_json(client.runs.wait(run.id) if wait else run)

"""`rf models`: the catalog."""

from __future__ import annotations

import typer

from runflow_sdk.cli.app import client_of
from runflow_sdk.cli.output import Format, print_json, print_rows

app = typer.Typer(help="The model catalog.", no_args_is_help=True)


@app.command("list")
def list_models(
    ctx: typer.Context, fmt: Format = typer.Option(Format.table, "--format", help="Output.")
) -> None:
    """Every model this key can run."""
    models = client_of(ctx).models.list().items
    print_rows(models, fmt, ["owner", "slug", "name", "availability_status"])


@app.command("get")
def get_model(ctx: typer.Context, model: str = typer.Argument(..., help="OWNER/SLUG")) -> None:
    """One model with its inputs and pricing, as JSON."""
    print_json(client_of(ctx).models.get(model))

"""`rf media`: upload files (with progress on bytes) and list them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import TaskID

from runflow_sdk import RunflowError
from runflow_sdk.cli.app import client_of, usage_error
from runflow_sdk.cli.output import Format, first_rows, print_json, print_rows
from runflow_sdk.cli.progress import bytes_bar

app = typer.Typer(help="Uploaded and generated media.", no_args_is_help=True)


@app.command("upload")
def upload(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Images or videos"),
    folder: str | None = typer.Option(None, "--folder", help="e.g. campaigns/spring"),
) -> None:
    """Upload files; large ones go through the three-step flow. Prints the media as JSON.

    Should one be refused, those uploaded before it are printed all the same, then the error."""
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise usage_error(f"not a file: {', '.join(missing)}")
    client = client_of(ctx)
    uploaded = []
    try:
        with bytes_bar() as progress:
            for path in files:
                task = progress.add_task(path.name, total=path.stat().st_size)

                def report(sent: int, total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=sent, total=total)

                try:
                    uploaded.append(client.media.upload(path, folder=folder, on_progress=report))
                except RunflowError:
                    typer.echo(f"{path}: not uploaded", err=True)
                    raise
    finally:
        # Stored media whose ids went unprinted would be lost to the user.
        if uploaded:
            print_json(uploaded)


@app.command("list")
def list_media(
    ctx: typer.Context,
    folder: str | None = typer.Option(None, "--folder", help="Only this folder"),
    q: str | None = typer.Option(None, "--q", help="Filter"),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many rows"),
    fmt: Format = typer.Option(Format.table, "--format", help="Output."),
) -> None:
    """This organization's media."""
    pager = client_of(ctx).media.list(folder=folder, q=q, limit=min(limit, 500))
    rows = first_rows(pager, limit)
    print_rows(rows, fmt, ["id", "content_type", "size_bytes", "width", "height", "folder"])

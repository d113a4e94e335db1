"""`rf evaluations`: judge an image's quality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from runflow_sdk.cli.app import client_of
from runflow_sdk.cli.output import print_json

app = typer.Typer(help="Evaluations of image quality.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    image: str = typer.Argument(..., help="A file (uploaded first), a media id or an https URL"),
    prompt: str | None = typer.Option(None, "--prompt", help="The prompt the image was made for"),
    min_score: float | None = typer.Option(None, "--min-score", min=0, max=1, help="0–1"),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Wait for the verdict (--no-wait: print it queued)"
    ),
) -> None:
    """Evaluate an image; prints the evaluation (score, issues, passed) as JSON."""
    client = client_of(ctx)
    source = image
    if Path(image).is_file():
        source = str(client.media.upload(Path(image)).id)
    criteria: dict[str, Any] | None = None if min_score is None else {"min_score": min_score}
    evaluation = client.evaluations.create(image=source, prompt=prompt, criteria=criteria)
    if wait:
        client.runs.wait(evaluation.id)  # an evaluation is a run of `runflow/image-quality`
        evaluation = client.evaluations.get(evaluation.id)
    print_json(evaluation)


@app.command("get")
def get(ctx: typer.Context, evaluation_id: str = typer.Argument(..., help="Evaluation id")) -> None:
    """An evaluation, as JSON."""
    print_json(client_of(ctx).evaluations.get(evaluation_id))

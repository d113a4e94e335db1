"""`rf batches`: create from JSON Lines (split into batches of 100), follow, inspect, cancel."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import httpx
import typer

from runflow_sdk import BatchProgress, Runflow, UnprocessableEntityError
from runflow_sdk.cli.app import client_of, usage_error
from runflow_sdk.cli.jsonl import BadInput, Item, chunks, read_items
from runflow_sdk.cli.output import Format, err, first_rows, print_json, print_rows
from runflow_sdk.cli.progress import batches_bar
from runflow_sdk.types import Batch, BatchCreated

app = typer.Typer(help="Batches of 1–100 runs of one model.", no_args_is_help=True)

_ITEM_COLUMNS = ["sequence_index", "client_ref", "status_code", "cost", "run_id"]


@app.command("create")
def create(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="OWNER/SLUG, e.g. runflow/txt2img"),
    input: str = typer.Option(..., "--input", "-i", help="JSON Lines of items, or - for stdin"),
    callback_url: str | None = typer.Option(None, "--callback-url", help="Signed callback URL"),
    metadata: str | None = typer.Option(None, "--metadata", help="A JSON object for each batch"),
    wait: bool = typer.Option(False, "--wait", help="Follow the batches until they end"),
    download: Path | None = typer.Option(
        None, "--download", help="With --wait: save the outputs' media here", file_okay=False
    ),
) -> None:
    """Create batches from a JSON Lines file: one item per line, 100 per batch. Every line is
    checked first; a bad line is named and nothing is sent."""
    try:
        items = read_items(input)
    except BadInput as exc:
        raise usage_error(str(exc)) from None
    meta = _metadata(metadata)
    client = client_of(ctx)
    groups = chunks(items)
    if len(groups) > 1:  # all or nothing: the service checks every group before any is created
        for group in groups:
            _checked(lambda g=group: client.batches.estimate(model, input=_values(g)), group)
    created: list[BatchCreated] = []
    for group in groups:
        created.append(
            _checked(
                lambda g=group: client.batches.create(
                    model, input=_values(g), metadata=meta, callback_url=callback_url
                ),
                group,
            )
        )
    if not wait:
        print_json(created)
        return
    ended = _wait_all(client, created)
    if download is not None:
        _download(client, ended, download)
    print_json(ended)


def _values(group: list[Item]) -> list[dict[str, Any]]:
    return [item.value for item in group]


def _metadata(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise usage_error(f"--metadata is not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise usage_error("--metadata must be a JSON object")
    return value


def _checked(call: Any, group: list[Item]) -> Any:
    """`call()`, with a validation error's item positions turned into line numbers."""
    try:
        return call()
    except UnprocessableEntityError as exc:
        for problem in exc.errors or []:
            loc = list(problem.get("loc", []))
            if loc[:2] == ["body", "input"] and len(loc) > 2 and isinstance(loc[2], int):
                field = ".".join(str(part) for part in loc[3:]) or "item"
                err.print(f"line {group[loc[2]].line}: {field}: {problem.get('msg')}", markup=False)
        raise


def _wait_all(client: Runflow, created: list[BatchCreated]) -> list[Batch]:
    total = sum(batch.items_total for batch in created)
    ended = []
    with batches_bar(total) as bar:
        for batch in created:
            key = str(batch.id)

            def report(seen: BatchProgress, key: str = key) -> None:
                bar.update(key, seen)

            ended.append(client.batches.wait(batch.id, on_progress=report))
    return ended


def _download(client: Runflow, batches: list[Batch], folder: Path) -> None:
    """Every media URL in the succeeded items' outputs, as `<batch>/<index>-<ref>-<n>.<ext>`."""
    with httpx.Client(timeout=60.0) as http:
        for batch in batches:
            target = folder / str(batch.id)
            target.mkdir(parents=True, exist_ok=True)
            for item in client.batches.items(str(batch.id), q="status_code = succeeded", limit=100):
                for number, url in enumerate(_urls(item.output)):
                    response = http.get(url)
                    response.raise_for_status()
                    kind = response.headers.get("content-type", "").split(";")[0]
                    ext = mimetypes.guess_extension(kind) or ".bin"
                    ref = f"-{item.client_ref}" if item.client_ref else ""
                    name = f"{item.sequence_index:03d}{ref}-{number}{ext}"
                    (target / name).write_bytes(response.content)
    err.print(f"outputs saved under {folder}", markup=False)


def _urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(("http://", "https://")) else []
    if isinstance(value, dict):
        return [url for inner in value.values() for url in _urls(inner)]
    if isinstance(value, list):
        return [url for inner in value for url in _urls(inner)]
    return []


@app.command("get")
def get(ctx: typer.Context, batch_id: str = typer.Argument(..., help="Batch id")) -> None:
    """A batch, as JSON."""
    print_json(client_of(ctx).batches.get(batch_id))


@app.command("list")
def list_batches(
    ctx: typer.Context,
    q: str | None = typer.Option(None, "--q", help="Filter, e.g. 'status_code = failed'"),
    sort_by: str | None = typer.Option(None, "--sort-by", help="e.g. created_at:desc"),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many rows"),
    fmt: Format = typer.Option(Format.table, "--format", help="Output."),
) -> None:
    """This organization's batches."""
    pager = client_of(ctx).batches.list(q=q, sort_by=sort_by, limit=min(limit, 500))
    rows = first_rows(pager, limit)
    print_rows(rows, fmt, ["id", "status_code", "items_total", "items_failed", "cost"])


@app.command("items")
def items(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., help="Batch id"),
    q: str | None = typer.Option(None, "--q", help="Filter, e.g. 'status_code = failed'"),
    sort_by: str | None = typer.Option(None, "--sort-by", help="e.g. sequence_index:desc"),
    fields: str | None = typer.Option(None, "--fields", help="Comma-separated fields"),
    fmt: Format = typer.Option(Format.table, "--format", help="Output."),
) -> None:
    """A batch's items, every page."""
    pager = client_of(ctx).batches.items(batch_id, q=q, sort_by=sort_by, fields=fields, limit=100)
    columns = fields.split(",") if fields else _ITEM_COLUMNS
    print_rows(list(pager), fmt, columns)


@app.command("cancel")
def cancel(ctx: typer.Context, batch_id: str = typer.Argument(..., help="Batch id")) -> None:
    """Cancel a batch's unfinished items."""
    print_json(client_of(ctx).batches.cancel(batch_id))


@app.command("retry")
def retry(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., help="Batch id"),
    status: list[str] = typer.Option(
        [], "--status", help="Item statuses to retry (default: failed); repeatable"
    ),
) -> None:
    """A new batch of an ended batch's failed items."""
    print_json(client_of(ctx).batches.retry(batch_id, status_codes=status or None))

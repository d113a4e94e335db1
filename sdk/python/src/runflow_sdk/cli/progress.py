"""A live progress bar over one or more batches: items done of total, failures, elapsed, ETA.
It draws on stderr, and only on a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from runflow_sdk import BatchProgress
from runflow_sdk.cli.output import err


class BatchesBar:
    """The sum of several batches' counters, as one bar."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task
        self._latest: dict[str, BatchProgress] = {}

    def update(self, batch_id: str, counters: BatchProgress) -> None:
        self._latest[batch_id] = counters
        done = sum(seen.items_done for seen in self._latest.values())
        failed = sum(seen.items_failed for seen in self._latest.values())
        self._progress.update(self._task, completed=done, failed=failed)


@contextmanager
def batches_bar(total: int) -> Iterator[BatchesBar]:
    progress = Progress(
        TextColumn("[bold]items"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        yield BatchesBar(progress, progress.add_task("items", total=total, failed=0))


@contextmanager
def bytes_bar() -> Iterator[Progress]:
    """Bars over bytes sent, one task per file (the caller adds them)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress

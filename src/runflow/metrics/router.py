"""`GET /metrics`: Prometheus' text format, behind a bearer token when
`RUNFLOW_METRICS_TOKEN` is set. Not part of the public API's OpenAPI document.

The queue's depth (runs queued and running per model) is read from the database at each
scrape, so it is the whole deployment's whatever process answers; the counters and
histograms are this process's (or, under `serve --workers N`, all of its processes').
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Metric,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Subquery, func, select

from runflow.catalog.models import Model
from runflow.config import Settings
from runflow.db.dependencies import get_database
from runflow.errors import Unauthorized
from runflow.runs.models import Run, RunStatus, status_is

router = APIRouter()


def _runs_per_model(status: RunStatus) -> Subquery:
    """How many runs of each model have `status`, counted in that status's own index."""
    counted = select(Run.model_id, func.count().label("runs")).where(status_is(status))
    return counted.group_by(Run.model_id).subquery()


_QUEUED, _RUNNING = _runs_per_model(RunStatus.QUEUED), _runs_per_model(RunStatus.RUNNING)
_DEPTH = (
    select(
        Model.owner + "/" + Model.slug,
        func.coalesce(_QUEUED.c.runs, 0),
        func.coalesce(_RUNNING.c.runs, 0),
    )
    .select_from(Model)
    .outerjoin(_QUEUED, _QUEUED.c.model_id == Model.id)
    .outerjoin(_RUNNING, _RUNNING.c.model_id == Model.id)
)


class _QueueDepth(Collector):
    """Runs queued and running per model, as read for this scrape."""

    def __init__(self, rows: Sequence[tuple[str, int, int]]) -> None:
        self.rows = rows

    def collect(self) -> Iterable[Metric]:
        queued = GaugeMetricFamily(
            "runflow_runs_queued", "Runs waiting for a worker, by model.", labels=["model"]
        )
        running = GaugeMetricFamily(
            "runflow_runs_running", "Runs a worker is executing, by model.", labels=["model"]
        )
        for model, queued_count, running_count in self.rows:
            queued.add_metric([model], queued_count)
            running.add_metric([model], running_count)
        return [queued, running]


def _authorize(request: Request, settings: Settings) -> None:
    if settings.metrics_token is None:
        return
    given = request.headers.get("authorization", "")
    expected = f"Bearer {settings.metrics_token}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Send the metrics token as `Authorization: Bearer <token>`.")


def _process_metrics() -> bytes:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return generate_latest(REGISTRY)
    # `serve --workers N`: every process's files, added up.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    _authorize(request, request.app.state.settings)
    async with get_database(request).transaction(write=False) as session:
        rows = [(name, queued, running) for name, queued, running in await session.execute(_DEPTH)]
    depth = CollectorRegistry()
    depth.register(_QueueDepth(rows))
    return Response(_process_metrics() + generate_latest(depth), media_type=CONTENT_TYPE_LATEST)

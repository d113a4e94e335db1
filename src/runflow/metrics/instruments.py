"""The service's counters and histograms, and the calls that record into them.

Everything is recorded once its transaction has committed (`db.engine.after_commit`): a chunk that
rolls back and is retried is counted once. Calls take whole chunks and increment a counter
once per label set, not once per run: recording stays a small part of a completion chunk.

Under `runflow serve --workers N` every process writes its own files in
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode) and `/metrics` adds them up.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable

from prometheus_client import Counter, Histogram

# From a millisecond to an hour: echo runs and HTTP requests at the low end, video models and
# batches of them at the high end.
SECONDS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
    3600.0,
)

RUNS_FINISHED = Counter(
    "runflow_runs_finished",
    "Runs that reached a terminal status, by model and status.",
    ["model", "status"],
)
RUN_DURATION = Histogram(
    "runflow_run_duration_seconds",
    "From a run's start to its end, by model.",
    ["model"],
    buckets=SECONDS,
)
RUN_QUEUE_WAIT = Histogram(
    "runflow_run_queue_wait_seconds",
    "From when a run was due to when a worker started it, by model.",
    ["model"],
    buckets=SECONDS,
)
BATCH_DURATION = Histogram(
    "runflow_batch_duration_seconds",
    "From a batch's creation to its end (end to end), by terminal status.",
    ["status"],
    buckets=SECONDS,
)
DELIVERY_ATTEMPTS = Counter(
    "runflow_delivery_attempts",
    "Attempts to deliver a batch or run callback (kind=callback) or an event to a webhook "
    "endpoint (kind=endpoint), by outcome: delivered, retry (will be tried again), give_up.",
    ["kind", "outcome"],
)
DELIVERY_LATENCY = Histogram(
    "runflow_delivery_attempt_duration_seconds",
    "How long receivers took to answer an attempt, by kind.",
    ["kind"],
    buckets=SECONDS,
)
HTTP_REQUESTS = Counter(
    "runflow_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "runflow_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=SECONDS,
)


def runs_finished(ended: Iterable[tuple[str, str, float | None]]) -> None:
    """`(model, status, duration_s)` of runs that ended; the duration is None for runs that
    never started (cancelled while queued, no worker came)."""
    tally: Tally[tuple[str, str]] = Tally()
    durations: defaultdict[str, list[float]] = defaultdict(list)
    for model, status, duration_s in ended:
        tally[model, status] += 1
        if duration_s is not None:
            durations[model].append(duration_s)
    for (model, status), count in tally.items():
        RUNS_FINISHED.labels(model, status).inc(count)
    _observe_each(RUN_DURATION, durations)


def runs_started(waits: Iterable[tuple[str, float]]) -> None:
    """`(model, seconds waited in the queue)` of runs a worker just started."""
    waited: defaultdict[str, list[float]] = defaultdict(list)
    for model, waited_s in waits:
        waited[model].append(max(0.0, waited_s))
    _observe_each(RUN_QUEUE_WAIT, waited)


def _observe_each(histogram: Histogram, values: dict[str, list[float]]) -> None:
    # One label lookup per model, not per run: it costs more than the observation.
    for model, observed in values.items():
        child = histogram.labels(model)
        for value in observed:
            child.observe(value)


def batches_ended(ended: Iterable[tuple[str, float]]) -> None:
    """`(status, seconds from creation to end)` of batches that turned terminal."""
    for status, seconds in ended:
        BATCH_DURATION.labels(status).observe(max(0.0, seconds))


def delivery_attempted(kind: str, outcome: str, seconds: float | None) -> None:
    DELIVERY_ATTEMPTS.labels(kind, outcome).inc()
    if seconds is not None:
        DELIVERY_LATENCY.labels(kind).observe(seconds)


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)

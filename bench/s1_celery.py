"""S1 as a team would build it with Celery 5 + Redis: a chord per batch (a group of `echo`
tasks, then one task that POSTs the batch's callback). Run by `bench/s1_compare.py`, whose
worker is `celery -A bench.s1_celery worker`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import httpx
from celery import Celery

REDIS = os.environ.get("S1_CELERY_REDIS", "redis://127.0.0.1:6379/15")

app = Celery("s1", broker=REDIS, backend=REDIS)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=64,  # short tasks: fetch many at once, as one would tune it
    broker_connection_retry_on_startup=True,
    result_expires=600,
)
_http = httpx.Client(timeout=30)


@app.task(name="s1.echo")  # type: ignore[untyped-decorator]
def echo(message: str) -> dict[str, str]:
    return {"message": message}


@app.task(name="s1.callback")  # type: ignore[untyped-decorator]
def callback(outputs: list[dict[str, Any]], batch_id: str, url: str) -> None:
    body = {
        "batch_id": batch_id,
        "status": "succeeded",
        "output": {"items": outputs},
        "completed_at": datetime.now(UTC).isoformat(),
    }
    _http.post(url, json=body).raise_for_status()

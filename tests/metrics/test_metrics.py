"""`/metrics` (DESIGN §20) read back with Prometheus' own text parser: a batch's runs, its end,
its callback and its requests are counted and timed; the queue's depth comes from the database.

The counters live in the process (a pytest worker runs many apps), so tests compare a scrape
after the work with one before it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from runflow.app import create_app
from runflow.config import Settings
from tests.batches.helpers import create_batch
from tests.callbacks.receiver import Receiver, Reply
from tests.engine.polling import eventually, terminal_batch

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.mark.engine
async def test_a_batch_is_counted_and_timed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        before = await scrape(client)
        items: list[dict[str, Any]] = [{"message": "ok"}] * 3 + [{"message": "x", "fail": True}] * 2
        batch = await create_batch(client, auth, items, callback_url=receiver.url())
        await terminal_batch(client, auth, batch["id"], timeout_s=120)

        async def delivered() -> Samples | None:
            now = await scrape(client)
            attempts = grew(
                before, now, "runflow_delivery_attempts_total", kind="callback", outcome="delivered"
            )
            return now if attempts else None

        after: Samples = await eventually(delivered, timeout_s=120)
    finally:
        await receiver.stop()

    echo = {"model": "runflow/echo"}
    assert grew(before, after, "runflow_runs_finished_total", status="succeeded", **echo) == 3
    assert grew(before, after, "runflow_runs_finished_total", status="failed", **echo) == 2
    assert grew(before, after, "runflow_run_duration_seconds_count", **echo) == 5
    assert grew(before, after, "runflow_run_queue_wait_seconds_count", **echo) == 5
    # Every run took more than no time and less than the test did: the sums are seconds.
    assert 0 < grew(before, after, "runflow_run_duration_seconds_sum", **echo) < 600
    ended = {"status": "partially_succeeded"}
    assert grew(before, after, "runflow_batch_duration_seconds_count", **ended) == 1
    assert grew(before, after, "runflow_batch_duration_seconds_bucket", le="+Inf", **ended) == 1
    assert (
        grew(before, after, "runflow_delivery_attempt_duration_seconds_count", kind="callback") == 1
    )
    created = {"method": "POST", "route": "/v1/models/{owner}/{slug}/batches"}
    assert grew(before, after, "runflow_http_requests_total", status="201", **created) == 1
    assert grew(before, after, "runflow_http_request_duration_seconds_count", **created) == 1
    assert value(after, "runflow_runs_queued", **echo) == 0
    assert value(after, "runflow_runs_running", **echo) == 0


@pytest.mark.engine(callback_retry_delays=(0.05, 0.05))
async def test_a_callback_that_runs_out_of_retries_is_counted_as_given_up(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Three attempts, each answered 500: two `retry`, then `give_up` (the last one)."""
    async with Receiver(default=Reply(status=500)) as receiver:
        before = await scrape(client)
        batch = await create_batch(client, auth, [{"message": "ok"}], callback_url=receiver.url())
        await terminal_batch(client, auth, batch["id"], timeout_s=120)

        async def given_up() -> Samples | None:
            now = await scrape(client)
            counted = {"kind": "callback", "outcome": "give_up"}
            return now if grew(before, now, "runflow_delivery_attempts_total", **counted) else None

        after: Samples = await eventually(given_up, timeout_s=120)
    assert len(receiver.received) == 3
    attempts = "runflow_delivery_attempts_total"
    assert grew(before, after, attempts, kind="callback", outcome="retry") == 2
    assert grew(before, after, attempts, kind="callback", outcome="give_up") == 1
    assert grew(before, after, attempts, kind="callback", outcome="delivered") == 0


async def test_queue_depth_is_read_from_the_database(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """No engine runs here: the runs stay queued, and every model is listed, idle ones at 0."""
    await create_batch(client, auth, [{"message": "a"}] * 4)
    await create_batch(client, auth, [{"message": "b"}] * 3)
    samples = await scrape(client)
    assert value(samples, "runflow_runs_queued", model="runflow/echo") == 7
    assert value(samples, "runflow_runs_running", model="runflow/echo") == 0
    assert ("runflow_runs_queued", frozenset({("model", "runflow/txt2img")})) in samples


async def test_cancelled_queued_runs_are_counted_once_committed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    batch = await create_batch(client, auth, [{"message": "c"}] * 3)
    before = await scrape(client)
    response = await client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth)
    assert response.status_code in (200, 202), response.text
    after = await scrape(client)
    echo = {"model": "runflow/echo"}
    assert grew(before, after, "runflow_runs_finished_total", status="cancelled", **echo) == 3
    assert grew(before, after, "runflow_batch_duration_seconds_count", status="cancelled") == 1
    assert value(after, "runflow_runs_queued", **echo) == 0
    # A second cancel changes nothing, and counts nothing.
    await client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth)
    again = await scrape(client)
    assert grew(after, again, "runflow_runs_finished_total", status="cancelled", **echo) == 0


async def test_routes_are_labelled_by_template_never_by_path(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await scrape(client)
    for missing in ("01a240dc-be84-735f-b74d-f76726e0c5d6", "01a240dc-be84-735f-b74d-f76726e0c5d7"):
        assert (await client.get(f"/v1/batches/{missing}", headers=auth)).status_code == 404
    assert (await client.get("/v1/no-such-thing/42", headers=auth)).status_code == 404
    after = await scrape(client)
    route = {"method": "GET", "route": "/v1/batches/{id}", "status": "404"}
    assert grew(before, after, "runflow_http_requests_total", **route) == 2
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert grew(before, after, "runflow_http_requests_total", **unmatched) == 1
    assert not any("01a240dc" in str(labels) for _, labels in after)


@pytest.fixture
async def guarded(settings: Settings) -> Any:
    application: FastAPI = create_app(
        settings.model_copy(update={"metrics_token": "metrics-s3cret"}), migrate=False
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://runflow.test") as http:
            yield http


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "metrics-s3cret", "Bearer metrics-s3cret ", "Basic metrics-s3cret"],
)
async def test_a_metrics_token_is_required_when_set(
    guarded: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == "UNAUTHORIZED"
    assert "runflow_" not in response.text


async def test_the_right_metrics_token_is_let_in(guarded: httpx.AsyncClient) -> None:
    samples = await scrape(guarded, Authorization="Bearer metrics-s3cret")
    assert ("runflow_runs_queued", frozenset({("model", "runflow/echo")})) in samples


async def test_metrics_are_not_in_the_public_api_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "/metrics" not in document["paths"]

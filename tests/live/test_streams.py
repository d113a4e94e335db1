"""Live event streams (DESIGN §17): a batch's `snapshot`, `item`, `progress` and terminal
events, a run's, `Last-Event-ID` resumption, tenancy — on both databases, with the engine in
this process or in a worker process of its own — and no query while a stream idles."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from runflow.config import Settings
from runflow.db.engine import Database
from tests.conftest import MakeKey
from tests.engine.polling import create_batch, eventually
from tests.engine.workers import WorkerProcess


@dataclass(frozen=True)
class Event:
    name: str
    id: str
    data: Any


def events_of(body: str) -> list[Event]:
    """The events of an SSE body (heartbeat comments skipped)."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                key, _, value = line.partition(":")
                fields[key] = value.removeprefix(" ")
        if "event" in fields:
            found.append(Event(fields["event"], fields.get("id", ""), json.loads(fields["data"])))
    return found


async def stream(
    client: httpx.AsyncClient, path: str, auth: dict[str, str], **headers: str
) -> list[Event]:
    response = await client.get(path, headers={**auth, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return events_of(response.text)


def assert_whole_batch_stream(events: list[Event], items: int) -> None:
    assert events[0].name == "snapshot"
    assert events[-1].name == "batch.succeeded"
    assert events[-1].data["items_succeeded"] == items
    in_snapshot = {
        handle["sequence_index"]
        for handle in events[0].data["items"]
        if handle["status_code"] == "succeeded"
    }
    streamed = [event.data["sequence_index"] for event in events if event.name == "item"]
    assert len(streamed) == len(set(streamed))
    assert in_snapshot.isdisjoint(streamed)
    assert in_snapshot | set(streamed) == set(range(items))
    for event_ in events:
        if event_.name == "item":
            assert event_.data["status_code"] == "succeeded"
            assert event_.data["cost"] == "0.0001"
            assert event_.data["error"] is None


@pytest.mark.engine(worker_concurrency=4)
async def test_a_batch_stream_sends_every_item_once_then_the_end(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    batch = await create_batch(
        client, auth, [{"message": str(i), "delay_ms": 50} for i in range(12)]
    )

    events = await stream(client, f"/v1/batches/{batch['id']}/events", auth)

    assert_whole_batch_stream(events, 12)
    assert any(event.name == "progress" for event in events)


@pytest.mark.engine(worker_concurrency=2)
async def test_last_event_id_resumes_without_loss_or_repeats(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    batch = await create_batch(
        client, auth, [{"message": str(i), "delay_ms": 30} for i in range(8)]
    )
    first = await stream(client, f"/v1/batches/{batch['id']}/events", auth)
    items = [event for event in first if event.name == "item"]
    assert items, "every item ended before the stream opened"
    cut = items[0]

    resumed = await stream(
        client, f"/v1/batches/{batch['id']}/events", auth, **{"Last-Event-ID": cut.id}
    )

    assert "snapshot" not in {event.name for event in resumed}
    got = {event.data["sequence_index"] for event in resumed if event.name == "item"}
    before = {
        event.data["sequence_index"]
        for event in first[: first.index(cut) + 1]
        if event.name == "item"
    }
    before |= {
        h["sequence_index"]
        for h in first[0].data["items"]
        if h["status_code"] != "queued" and h["status_code"] != "running"
    }
    assert got.isdisjoint(before)
    assert got | before == set(range(8))
    assert resumed[-1].name == "batch.succeeded"


@pytest.mark.engine(worker_concurrency=2)
async def test_a_run_stream_reports_progress_and_its_end(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    created = await client.post("/v1/models/acme/patient/runs", json={"input": {}}, headers=auth)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    listening = asyncio.create_task(stream(client, f"/v1/runs/{run_id}/events", auth))

    async def reporting() -> bool:
        run = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
        return run["context"] is not None

    await eventually(reporting, timeout_s=30)
    await client.post(f"/v1/runs/{run_id}/cancel", headers=auth)
    events = await asyncio.wait_for(listening, 30)

    assert events[0].name == "snapshot"
    assert events[0].data["id"] == run_id
    progress = [event.data for event in events if event.name == "progress"]
    assert progress
    assert progress[0]["progress"] == 0.25
    assert events[-1].name == "run.cancelled"


async def test_another_orgs_batch_or_run_is_404(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    batch = await create_batch(client, auth, [{"message": "m"}])
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    run_id = batch["items"][0]["run_id"]

    for path in (f"/v1/batches/{batch['id']}/events", f"/v1/runs/{run_id}/events"):
        response = await client.get(path, headers=other)
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


async def test_idle_streams_cost_no_query(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    # The API alone: nothing runs, so the streams wait on a batch that does not move.
    batch = await create_batch(client, auth, [{"message": "waits"}])
    path = f"/v1/batches/{batch['id']}/events"
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        streams = [asyncio.create_task(stream(client, path, auth)) for _ in range(50)]

        async def all_read_once() -> bool:
            return sum("runs.failure_stage_code" in sql for sql in statements) >= 50

        await eventually(all_read_once, timeout_s=30)
        await asyncio.sleep(0.2)  # the last reads' tails
        statements.clear()
        await asyncio.sleep(1.0)
        idle = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    await client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth)
    ended = await asyncio.wait_for(asyncio.gather(*streams), 30)

    assert idle == []
    assert {events[-1].name for events in ended} == {"batch.cancelled"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_stream_follows_runs_a_worker_process_executes(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    batch = await create_batch(
        client, auth, [{"message": str(i), "delay_ms": 20} for i in range(20)]
    )
    listening = asyncio.create_task(stream(client, f"/v1/batches/{batch['id']}/events", auth))
    worker = WorkerProcess(settings.resolved_database_url, tmp_path, tmp_path / "worker.log")
    try:
        events = await asyncio.wait_for(listening, 60)
    finally:
        worker.stop()

    assert_whole_batch_stream(events, 20)


def _event_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    answer = document["paths"][path]["get"]["responses"]["200"]
    schema: dict[str, Any] = answer["content"]["text/event-stream"]["schema"]
    return schema


@pytest.mark.engine(worker_concurrency=2)
async def test_every_event_is_one_the_document_describes(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Tools read the stream's schema as one event's (OpenAPI 3.2's `itemSchema`): each
    event's name is among those listed, with an id and JSON data."""
    document = (await client.get("/openapi.json")).json()
    batch = await create_batch(
        client, auth, [{"message": str(i), "delay_ms": 30} for i in range(4)]
    )
    run = await client.post(
        "/v1/models/runflow/echo/runs", json={"input": {"message": "r"}}, headers=auth
    )
    assert run.status_code == 201, run.text

    for path, events in (
        (
            "/v1/batches/{id}/events",
            await stream(client, f"/v1/batches/{batch['id']}/events", auth),
        ),
        ("/v1/runs/{id}/events", await stream(client, f"/v1/runs/{run.json()['id']}/events", auth)),
    ):
        schema = _event_schema(document, path)
        assert schema["required"] == ["event", "id", "data"]
        names = schema["properties"]["event"]["enum"]
        assert events, path
        for streamed in events:
            assert streamed.name in names, (path, streamed.name)
            assert streamed.id, (path, streamed.name)
        assert events[-1].name.endswith(".succeeded")

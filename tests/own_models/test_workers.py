"""Workers serve models (DESIGN §13): `--models` routes runs, the `workers` table says who is
alive, a model nobody serves is `offline` (and its runs fail `NO_WORKER` after its queue
timeout), and a model with `concurrency = 1` never runs twice at once on a worker."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from runflow.config import Settings
from runflow.workers.patterns import BadPattern, ModelPatterns
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.engine.workers import RUNFLOW, WorkerProcess
from tests.own_models.test_python_models import finished, run_of


def test_patterns_match_model_paths() -> None:
    patterns = ModelPatterns.parse(" acme/*, runflow/echo ")
    assert patterns.patterns == ("acme/*", "runflow/echo")
    assert patterns.serves("acme/shout")
    assert patterns.serves("runflow/echo")
    assert not patterns.serves("runflow/txt2img")
    assert not patterns.serves_everything
    assert ModelPatterns.parse(None).serves("anyone/anything")
    assert ModelPatterns.parse("").serves_everything


@pytest.mark.parametrize("text", ["acme", "acme/", "/echo", "Acme/*", "acme/shout/x", "a b/c"])
def test_a_pattern_that_names_no_model_path_is_refused(text: str) -> None:
    with pytest.raises(BadPattern, match="is not a model pattern"):
        ModelPatterns.parse(text)


def test_a_worker_with_a_bad_models_pattern_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "RUNFLOW_DATA_DIR": str(tmp_path)}
    ran = subprocess.run(
        [RUNFLOW, "worker", "--models", "acme"], env=env, capture_output=True, timeout=60
    )
    assert ran.returncode == 2
    assert b"'acme' is not a model pattern" in ran.stderr


async def availability(client: httpx.AsyncClient, auth: dict[str, str], model: str) -> str:
    body: dict[str, Any] = (await client.get(f"/v1/models/{model}", headers=auth)).json()
    return str(body["availability_status"])


async def test_without_a_live_worker_every_model_is_offline_but_takes_runs(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # The API alone (no engine): nobody runs anything yet, and the catalog says so.
    assert await availability(client, auth, "runflow/echo") == "offline"
    listed = (await client.get("/v1/models", headers=auth)).json()["items"]
    assert {model["availability_status"] for model in listed} == {"offline"}
    batch = await create_batch(client, auth, [{"message": "waits"}])
    assert batch["status_code"] == "queued"


@pytest.mark.engine(worker_concurrency=4, worker_models="acme/*", lease_s=1)
async def test_a_worker_claims_only_the_models_it_serves(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    assert await availability(client, auth, "acme/shout") == "available"
    assert await availability(client, auth, "runflow/echo") == "offline"
    echo = await create_batch(client, auth, [{"message": "nobody serves me"}])
    shout = await run_of(client, auth, "acme/shout", {"text": "hi"})

    assert (await finished(client, auth, shout["id"]))["status_code"] == "succeeded"
    waiting = (await client.get(f"/v1/batches/{echo['id']}", headers=auth)).json()
    assert waiting["status_code"] == "queued"
    assert waiting["items_succeeded"] == 0


@pytest.mark.engine(worker_concurrency=4, worker_models="runflow/*", lease_s=1)
async def test_a_run_nobody_takes_fails_no_worker_after_the_queue_timeout(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/impatient", {})
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "failed"
    assert run["failure_code"] == "NO_WORKER"
    assert run["failure_stage_code"] == "dispatch"
    assert "queue timeout" in run["failure_message"]
    batch = (await client.get(f"/v1/batches/{run['batch_id']}", headers=auth)).json()
    assert (batch["status_code"], batch["items_failed"]) == ("failed", 1)


@pytest.mark.engine(worker_concurrency=8)
async def test_a_model_with_concurrency_one_never_runs_twice_at_once(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    batch = await create_batch(client, auth, [{} for _ in range(6)], model="acme/one-at-a-time")
    done = await terminal_batch(client, auth, batch["id"], timeout_s=60)

    assert done["status_code"] == "succeeded"
    outputs = [item["output"] for item in done["output"]["items"]]
    assert outputs == [{"most_at_once": 1}] * 6


def listed_workers(settings: Settings) -> list[dict[str, Any]]:
    env = {**os.environ, "RUNFLOW_DATABASE_URL": settings.resolved_database_url}
    ran = subprocess.run(
        [RUNFLOW, "workers", "--json"], env=env, capture_output=True, timeout=60, check=True
    )
    return [json.loads(line) for line in ran.stdout.decode().splitlines()]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_serving_different_models_each_get_their_runs(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    models = ",".join(str(path) for path in settings.models)
    first = WorkerProcess(
        url, tmp_path, tmp_path / "first.log", models=models, worker_models="acme/whoami"
    )
    second = WorkerProcess(
        url,
        tmp_path,
        tmp_path / "second.log",
        models=models,
        worker_models="acme/whoami-too,runflow/*",
    )
    try:

        async def both_listed() -> list[dict[str, Any]] | None:
            rows = listed_workers(settings)
            return rows if len(rows) == 2 else None

        rows = await eventually(both_listed, timeout_s=60)
        assert {tuple(row["models"]) for row in rows} == {
            ("acme/whoami",),
            ("acme/whoami-too", "runflow/*"),
        }
        assert all(row["live"] for row in rows)
        assert await availability(client, auth, "acme/whoami") == "available"
        assert await availability(client, auth, "acme/shout") == "offline"

        batches = {
            model: await create_batch(client, auth, [{} for _ in range(10)], model=model)
            for model in ("acme/whoami", "acme/whoami-too", "runflow/echo")
        }
        batches["runflow/echo"] = await create_batch(client, auth, [{"message": "m"}] * 10)
        done = {
            model: await terminal_batch(client, auth, batch["id"], timeout_s=60)
            for model, batch in batches.items()
        }
    finally:
        first.stop()
        second.stop()

    assert {batch["status_code"] for batch in done.values()} == {"succeeded"}
    pids = {
        model: {item["output"]["pid"] for item in batch["output"]["items"]}
        for model, batch in done.items()
        if model != "runflow/echo"
    }
    assert pids == {
        "acme/whoami": {first.process.pid},
        "acme/whoami-too": {second.process.pid},
    }
    echo_runs = {item["run_id"] for item in done["runflow/echo"]["output"]["items"]}
    started_by_second = {record["run_id"] for record in second.events("run_started")}
    assert echo_runs <= started_by_second
    assert not echo_runs & {record["run_id"] for record in first.events("run_started")}
    # Stopped workers leave the table.
    assert listed_workers(settings) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_python_model_whose_worker_is_killed_finishes_on_another(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    common = {"models": ",".join(str(path) for path in settings.models), "lease_s": 2}
    doomed = WorkerProcess(url, tmp_path, tmp_path / "doomed.log", **common)
    created = await run_of(client, auth, "acme/whoami", {"seconds": 2.0})

    async def running() -> bool:
        run = (await client.get(f"/v1/runs/{created['id']}", headers=auth)).json()
        return bool(run["status_code"] == "running")

    await eventually(running, timeout_s=60)
    doomed.kill()
    survivor = WorkerProcess(url, tmp_path, tmp_path / "survivor.log", **common)
    try:
        run = await finished(client, auth, created["id"])
    finally:
        survivor.stop()

    assert run["status_code"] == "succeeded"
    assert run["output"]["pid"] == survivor.process.pid
    logs = (await client.get(f"/v1/runs/{created['id']}/logs", headers=auth)).json()["items"]
    assert any("stopped responding" in entry["message"] for entry in logs)

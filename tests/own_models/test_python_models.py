"""Python models from a models file, run end to end through the HTTP API by the engine."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.engine.polling import eventually
from tests.media.helpers import download, image_size, mp4, png, uploaded

pytestmark = pytest.mark.engine(worker_concurrency=4)

TERMINAL = {"succeeded", "failed", "cancelled"}


async def run_of(
    client: httpx.AsyncClient, auth: dict[str, str], model: str, item: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/models/{model}/batches", json={"input": [item]}, headers=auth
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    page = (await client.get(f"/v1/batches/{created['id']}/items", headers=auth)).json()
    run_id = page["items"][0]["run_id"]
    run: dict[str, Any] = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
    return run


async def finished(client: httpx.AsyncClient, auth: dict[str, str], run_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
        return run if run["status_code"] in TERMINAL else None

    result: dict[str, Any] = await eventually(probe, timeout_s=60)
    return result


async def logs_of(
    client: httpx.AsyncClient, auth: dict[str, str], run_id: str
) -> list[dict[str, Any]]:
    logs: list[dict[str, Any]] = (await client.get(f"/v1/runs/{run_id}/logs", headers=auth)).json()[
        "items"
    ]
    return logs


async def test_the_vignette_example_darkens_an_uploaded_png_and_prices_its_megapixels(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    photo = await uploaded(client, auth, png(400, 300))
    given = {"image": photo["id"], "strength": 0.8}
    estimate = await client.post(
        "/v1/models/acme/vignette/runs/estimate", json={"input": given}, headers=auth
    )
    created = await run_of(client, auth, "acme/vignette", given)
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "succeeded", run
    assert run["output"]["strength"] == 0.8
    image = await download(client, run["output"]["image"])  # a signed URL, no API key
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image_size(image.content) == (400, 300)
    assert Decimal(run["cost"]) == Decimal("0.12") * Decimal("0.001")  # 0.12 MP × price
    assert estimate.json()["cost"] == run["cost"]  # measured from the uploaded image's size
    logs = await logs_of(client, auth, run["id"])
    assert [(log["level_code"], log["message"]) for log in logs] == [("info", "vignette applied")]
    assert logs[0]["meta"] == {"width": 400, "height": 300, "strength": 0.8}


async def test_a_sync_model_reports_logs_and_node_runs(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/shout", {"text": "hello"})
    run = await finished(client, auth, created["id"])
    assert run["status_code"] == "succeeded", run
    assert run["output"] == {"text": "HELLO"}
    assert run["cost"] == "0.002"
    logs = await logs_of(client, auth, run["id"])
    assert [(log["message"], log["meta"]) for log in logs] == [("shouting", {"length": 5})]
    nodes = (await client.get(f"/v1/runs/{run['id']}/node-runs", headers=auth)).json()["items"]
    assert [(node["input"], node["state_code"]) for node in nodes] == [
        ({"text": "hello"}, "succeeded")
    ]


async def test_an_async_model_runs_on_the_loop(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/shout-async", {"text": "hi"})
    run = await finished(client, auth, created["id"])
    assert run["output"] == {"text": "HI", "on_loop": True}


async def test_setup_is_called_once_per_process(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    runs = [await run_of(client, auth, "acme/counted", {}) for _ in range(3)]
    outputs = [(await finished(client, auth, run["id"]))["output"] for run in runs]
    # The test process is one worker process: however many runs, one setup.
    assert outputs == [{"setups": 1}] * 3


async def test_an_exception_fails_the_run_with_its_message_and_no_traceback(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/broken", {})
    run = await finished(client, auth, created["id"])
    assert (run["status_code"], run["failure_code"], run["failure_message"]) == (
        "failed",
        "MODEL_ERROR",
        "the weights file is missing",
    )
    assert run["cost"] == "0"
    logs = await logs_of(client, auth, run["id"])
    assert all("Traceback" not in log["message"] for log in logs)
    assert [log["message"] for log in logs] == ["the weights file is missing"]


async def test_a_return_value_that_is_not_a_dict_fails_clearly(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/listy", {})
    run = await finished(client, auth, created["id"])
    assert (run["failure_code"], run["failure_message"]) == (
        "MODEL_ERROR",
        "The model returned list; run() must return a dict.",
    )


async def test_an_output_value_of_an_unsupported_type_fails_clearly(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/odd-output", {})
    run = await finished(client, auth, created["id"])
    assert run["failure_code"] == "MODEL_ERROR"
    assert run["failure_message"].startswith("Output `tags` is a set; return JSON values")


async def cancelled_once_running(
    client: httpx.AsyncClient, auth: dict[str, str], run_id: str, *, progress: float
) -> dict[str, Any]:
    """Wait until the model reports `progress` (it is running), cancel, and return the run
    once it ended. The models would loop for 60 s: the deadlines are the polling helpers',
    not measurements."""

    async def reporting_progress() -> bool:
        run = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
        return bool(run["context"] and run["context"]["progress"] == progress)

    await eventually(reporting_progress, timeout_s=60)
    response = await client.post(f"/v1/runs/{run_id}/cancel", headers=auth)
    assert response.status_code == 200
    return await finished(client, auth, run_id)


async def test_cancel_reaches_a_model_that_checks_context_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/patient", {})
    run = await cancelled_once_running(client, auth, created["id"], progress=0.25)
    assert (run["status_code"], run["failure_code"]) == ("cancelled", "CANCELLED")


async def test_a_model_that_ignores_cancel_ends_at_its_timeout(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/stubborn", {})
    run = await finished(client, auth, created["id"])
    assert (run["status_code"], run["failure_code"]) == ("failed", "TIMEOUT")
    assert run["failure_message"] == "The run exceeded its 1 s limit."


async def test_a_process_model_runs_in_another_process_with_its_own_setup(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    runs = [await run_of(client, auth, "acme/heavy", {}) for _ in range(2)]
    finished_runs = [await finished(client, auth, run["id"]) for run in runs]
    for run in finished_runs:
        assert run["status_code"] == "succeeded", run
        assert run["output"]["pid"] != os.getpid()
        assert run["output"]["setups"] == 1  # once per pool process, however many runs
        image = await download(client, run["output"]["image"])
        assert image_size(image.content) == (8, 6)
        logs = await logs_of(client, auth, run["id"])
        assert [(log["message"], log["meta"]) for log in logs] == [
            ("running", {"pid": run["output"]["pid"]})
        ]


async def test_cancel_reaches_a_process_model_through_context_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/heavy", {"wait_for_cancel": True})
    run = await cancelled_once_running(client, auth, created["id"], progress=0.5)
    assert (run["status_code"], run["failure_code"]) == ("cancelled", "CANCELLED")


async def test_a_video_input_arrives_as_a_path_and_paths_and_bytes_become_media(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    clip = mp4()
    video = await uploaded(client, auth, clip, filename="clip.mp4", content_type="video/mp4")
    created = await run_of(client, auth, "acme/clip-info", {"video": video["id"]})
    run = await finished(client, auth, created["id"])
    assert run["status_code"] == "succeeded", run
    output = run["output"]
    assert (output["is_path"], output["size_bytes"], output["suffix"]) == (True, len(clip), ".mp4")
    returned = await download(client, output["video"])
    assert (returned.headers["content-type"], returned.content) == ("video/mp4", clip)
    thumbnail = await download(client, output["thumbnail"])
    assert thumbnail.headers["content-type"] == "image/png"
    assert image_size(thumbnail.content) == (10, 20)

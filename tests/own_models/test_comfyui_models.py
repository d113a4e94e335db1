"""ComfyUI workflows (DESIGN §13) against the stand-in server of `comfyui/standin.py`, which
speaks ComfyUI's HTTP and WebSocket protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runflow.config import Settings
from tests.engine.polling import eventually
from tests.media.helpers import download, image_size, png, uploaded
from tests.own_models.comfyui.standin import StandIn, serve_in_thread
from tests.own_models.test_python_models import finished, run_of
from tests.served import free_port

pytestmark = pytest.mark.engine(worker_concurrency=4)

GENERATE = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 32, "color": 0x336699}},
    "2": {"class_type": "SlowBlur", "inputs": {"image": ["1", 0], "steps": 3}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "gen"}},
}
INVERT = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "inv"}},
}


def failing(node: str, message: str = "out of memory") -> dict[str, Any]:
    broken: dict[str, Any] = json.loads(json.dumps(GENERATE))
    broken["2"] = {"class_type": node, "inputs": {"image": ["1", 0], "message": message}}
    if node != "RaiseError":
        broken["2"]["inputs"].pop("message")
    return broken


MODELS = """
[[models]]
owner = "acme"
slug = "{slug}"
name = "{slug}"
provider = "comfyui"
url = "{url}"
workflow = "{slug}.json"
concurrency = 1
{extra}
"""
GENERATE_INPUTS = """
[[models.inputs]]
name = "width"
variable_type_code = "integer"
default_value = 64
target = "1.inputs.width"
[[models.inputs]]
name = "steps"
variable_type_code = "integer"
default_value = 3
target = "2.inputs.steps"
[[models.outputs]]
name = "image"
variable_type_code = "image"
source = "3"
"""
HASTY = """
timeout_s = 1
max_retries = 0
[[models.inputs]]
name = "steps"
variable_type_code = "integer"
default_value = 400
target = "2.inputs.steps"
"""
INVERT_INPUTS = """
[[models.inputs]]
name = "photo"
variable_type_code = "image"
is_required = true
target = "1.inputs.image"
[[models.outputs]]
name = "image"
variable_type_code = "image"
"""


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StandIn, str]]:
    port = free_port()
    server_state, server = serve_in_thread(tmp_path_factory.mktemp("comfyui"), port)
    yield server_state, f"http://127.0.0.1:{port}"
    server.should_exit = True


@pytest.fixture
def settings(settings: Settings, standin: tuple[StandIn, str], tmp_path: Path) -> Settings:
    _, url = standin
    workflows = {
        "generate": (GENERATE, GENERATE_INPUTS),
        "invert": (INVERT, INVERT_INPUTS),
        "raises": (failing("RaiseError"), ""),
        "hasty": (GENERATE, HASTY),
        "drops": (failing("DropWebSocket"), ""),
        "unknown-node": (failing("NoSuchNode"), ""),
        "missing-input": (
            {**GENERATE, "2": {"class_type": "SlowBlur", "inputs": {"image": ["1", 0]}}},
            "",
        ),
    }
    text = ""
    for slug, (workflow, extra) in workflows.items():
        (tmp_path / f"{slug}.json").write_text(json.dumps(workflow))
        text += MODELS.format(slug=slug, url=url, extra=extra)
    down = f"http://127.0.0.1:{free_port()}"
    text += MODELS.format(slug="down", url=down, extra="max_retries = 1")
    (tmp_path / "down.json").write_text(json.dumps(GENERATE))
    path = tmp_path / "comfyui.toml"
    path.write_text(text)
    return settings.model_copy(update={"models": (path,)})


async def node_runs(
    client: httpx.AsyncClient, auth: dict[str, str], run_id: str
) -> list[dict[str, Any]]:
    page = await client.get(f"/v1/runs/{run_id}/node-runs", headers=auth)
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_a_workflow_runs_with_node_runs_progress_and_an_image_output(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/generate", {"width": 80, "steps": 4})
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "succeeded", run
    image = await download(client, run["output"]["image"])
    assert image_size(image.content) == (80, 32)
    nodes = {
        node["output"]["comfyui_node_id"]: node for node in await node_runs(client, auth, run["id"])
    }
    assert {key: node["output"]["class_type"] for key, node in nodes.items()} == {
        "1": "EmptyImage",
        "2": "SlowBlur",
        "3": "SaveImage",
    }
    assert {node["state_code"] for node in nodes.values()} == {"succeeded"}
    assert (run["nodes_total"], run["nodes_completed"]) == (3, 3)


async def test_the_same_inputs_again_are_cached_nodes(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await run_of(client, auth, "acme/generate", {"width": 48, "steps": 2})
    await finished(client, auth, first["id"])
    again = await run_of(client, auth, "acme/generate", {"width": 48, "steps": 2})
    run = await finished(client, auth, again["id"])

    states = {
        node["output"]["comfyui_node_id"]: node["state_code"]
        for node in await node_runs(client, auth, run["id"])
    }
    assert states["1"] == "cached"
    assert states["2"] == "cached"


async def test_progress_shows_in_the_run_context_while_it_runs(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/generate", {"steps": 60, "width": 96})

    async def progressing() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/v1/runs/{created['id']}", headers=auth)).json()
        context = run.get("context") or {}
        return context if context.get("progress") else None

    context = await eventually(progressing, timeout_s=30)
    assert 0 < context["progress"] < 1
    assert "SlowBlur (node 2)" in context["message"]
    assert (await finished(client, auth, created["id"]))["status_code"] == "succeeded"


async def test_an_image_input_is_uploaded_and_used(
    client: httpx.AsyncClient, auth: dict[str, str], standin: tuple[StandIn, str]
) -> None:
    photo = await uploaded(client, auth, png(30, 20))
    created = await run_of(client, auth, "acme/invert", {"photo": photo["id"]})
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "succeeded", run
    assert image_size((await download(client, run["output"]["image"])).content) == (30, 20)
    assert any(path.name.startswith("runflow-") for path in (standin[0].folder / "input").iterdir())


async def test_an_execution_error_fails_model_error_naming_the_node(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/raises", {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "MODEL_ERROR")
    assert run["failure_message"] == "RaiseError (node 2) failed: out of memory"
    failed = [
        node for node in await node_runs(client, auth, run["id"]) if node["state_code"] == "failed"
    ]
    assert [node["output"]["comfyui_node_id"] for node in failed] == ["2"]


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("acme/unknown-node", "node NoSuchNode does not exist"),
        ("acme/missing-input", "node 2 (SlowBlur): Required input is missing steps"),
    ],
    ids=["unknown-node", "missing-input"],
)
async def test_a_workflow_comfyui_refuses_fails_clearly(
    client: httpx.AsyncClient, auth: dict[str, str], model: str, words: str
) -> None:
    created = await run_of(client, auth, model, {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "MODEL_ERROR")
    assert run["failure_stage_code"] == "dispatch"
    assert words in run["failure_message"]


async def test_cancel_interrupts_a_running_prompt(
    client: httpx.AsyncClient, auth: dict[str, str], standin: tuple[StandIn, str]
) -> None:
    before = standin[0].interrupts
    created = await run_of(client, auth, "acme/generate", {"steps": 400, "width": 90})

    async def running_there() -> bool:
        return standin[0].running is not None

    await eventually(running_there, timeout_s=30)
    await client.post(f"/v1/runs/{created['id']}/cancel", headers=auth)
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "cancelled"
    assert standin[0].interrupts == before + 1


async def test_a_prompt_past_the_timeout_fails_timeout_and_is_interrupted_there(
    client: httpx.AsyncClient, auth: dict[str, str], standin: tuple[StandIn, str]
) -> None:
    before = standin[0].interrupts
    created = await run_of(client, auth, "acme/hasty", {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "TIMEOUT")

    async def interrupted() -> bool:
        return standin[0].interrupts == before + 1

    await eventually(interrupted, timeout_s=30)


async def test_a_dropped_websocket_is_reconciled_from_history(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/drops", {})
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "succeeded", run
    assert run["output"]["images"].startswith("http")


async def test_a_server_that_is_down_is_retried_then_fails_unavailable(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/down", {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "PROVIDER_UNAVAILABLE")
    assert run["failure_stage_code"] == "dispatch"

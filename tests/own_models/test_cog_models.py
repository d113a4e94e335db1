"""Cog models (DESIGN §13) against real Cog servers — the `cog` package's own HTTP server,
run here without Docker — and against servers that misbehave."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from runflow.config import Settings
from tests.engine.polling import eventually
from tests.media.helpers import download, image_size, png, uploaded
from tests.own_models.test_python_models import finished, logs_of, run_of
from tests.served import free_port

pytestmark = pytest.mark.engine(worker_concurrency=4, lease_s=5)

PREDICTORS = Path(__file__).parent / "cog_predictors"
BIN = Path(sys.executable).parent


@dataclass
class CogServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


SERVERS = {"text": "text", "image": "image", "slow": "slow", "hasty": "slow", "broken": "broken"}


def start_cog(name: str, folder: str, logs: Path) -> CogServer:
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "COG_PREDICT_TYPE_STUB": "predict.py:Predictor",
        "PORT": str(port),
    }
    log_path = logs / f"cog-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cog.server.http", "--host", "127.0.0.1"],
            cwd=PREDICTORS / folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = CogServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 120
    while True:
        try:
            status = httpx.get(f"{server.url}/health-check", timeout=2).json().get("status")
        except httpx.HTTPError:
            status = None
        if status == "READY":
            return server
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Cog server {name} did not start:\n{server.log()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cog_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CogServer]]:
    logs = tmp_path_factory.mktemp("cog")
    servers: dict[str, CogServer] = {}
    try:
        # The timeout test's server is its own: a cancel still ending on the other could
        # make it busy (409) when the test starts.
        for name, folder in SERVERS.items():
            servers[name] = start_cog(name, folder, logs)
        yield servers
    finally:
        for server in servers.values():
            server.process.terminate()
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()


def misbehaving_app() -> Starlette:
    """A server that looks like Cog until asked to predict."""

    async def health(request: Request) -> Response:
        if request.path_params["kind"] == "starting":
            return JSONResponse({"status": "STARTING"})
        return JSONResponse({"status": "READY"})

    async def predict(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind == "not-json":
            return PlainTextResponse("<html>oops</html>")
        if kind == "unknown-status":
            return JSONResponse({"id": "x", "status": "exploded"})
        return PlainTextResponse("upstream failed", status_code=503)

    return Starlette(
        routes=[
            Route("/{kind}/health-check", health),
            Route("/{kind}/predictions/{id}", predict, methods=["PUT"]),
        ]
    )


@pytest.fixture(scope="module")
def misbehaving() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(misbehaving_app(), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def cog_model(slug: str, url: str, extra: str = "", **fields: Any) -> str:
    lines = "\n".join(f"{key} = {value}" for key, value in fields.items())
    return (
        textwrap.dedent(
            f"""
        [[models]]
        owner = "acme"
        slug = "{slug}"
        name = "{slug}"
        provider = "cog"
        url = "{url}"
        concurrency = 1
        """
        )
        + lines
        + "\n"
        + textwrap.dedent(extra)
    )


@pytest.fixture
def settings(
    settings: Settings, cog_servers: dict[str, CogServer], misbehaving: str, tmp_path: Path
) -> Settings:
    down = f"http://127.0.0.1:{free_port()}"
    models = "".join(
        [
            cog_model(
                "shout",
                cog_servers["text"].url,
                """
                [[models.inputs]]
                name = "text"
                variable_type_code = "string"
                is_required = true
                [[models.outputs]]
                name = "text"
                variable_type_code = "string"
                [[models.pricing]]
                pricing_model_code = "per_second"
                unit_code = "second"
                dimension_code = "predict_seconds"
                price = "0.001"
                """,
            ),
            cog_model(
                "invert",
                cog_servers["image"].url,
                """
                [[models.inputs]]
                name = "image"
                variable_type_code = "image"
                is_required = true
                [[models.outputs]]
                name = "image"
                variable_type_code = "image"
                """,
            ),
            cog_model(
                "slow",
                cog_servers["slow"].url,
                """
                [[models.inputs]]
                name = "seconds"
                variable_type_code = "float"
                default_value = 30.0
                """,
                timeout_s=60,
            ),
            cog_model("hasty", cog_servers["hasty"].url, timeout_s=1, max_retries=0),
            cog_model(
                "broken",
                cog_servers["broken"].url,
                """
                [[models.inputs]]
                name = "text"
                variable_type_code = "string"
                """,
            ),
            cog_model("down", down, max_retries=1),
            cog_model("not-json", f"{misbehaving}/not-json", max_retries=0),
            cog_model("unknown-status", f"{misbehaving}/unknown-status", max_retries=0),
            cog_model("failing", f"{misbehaving}/failing", max_retries=0),
            cog_model("starting", f"{misbehaving}/starting", max_retries=0),
        ]
    )
    path = tmp_path / "cog-models.toml"
    path.write_text(models)
    return settings.model_copy(update={"models": (path,)})


async def test_a_text_prediction_keeps_its_output_logs_and_predict_time_price(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/shout", {"text": "hello"})
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "succeeded", run
    assert run["output"] == {"text": "HELLO"}
    assert Decimal(run["cost"]) > 0
    (line,) = run["cost_breakdown"]["lines"]
    assert line["unit_code"] == "second"
    messages = [entry["message"] for entry in await logs_of(client, auth, run["id"])]
    assert "shouting 'hello'" in messages


async def test_an_image_goes_in_as_a_data_uri_and_comes_back_as_media(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    photo = await uploaded(client, auth, png(64, 48))
    created = await run_of(client, auth, "acme/invert", {"image": photo["id"]})
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "succeeded", run
    inverted = await download(client, run["output"]["image"])
    assert inverted.status_code == 200
    assert image_size(inverted.content) == (64, 48)


async def test_cancel_reaches_the_cog_server(
    client: httpx.AsyncClient, auth: dict[str, str], cog_servers: dict[str, CogServer]
) -> None:
    created = await run_of(client, auth, "acme/slow", {"seconds": 30})

    # The server's own log shows it predicting.
    async def predicting() -> bool:
        return f'"prediction_id":"{_hex(created["id"])}' in cog_servers["slow"].log()

    await eventually(predicting, timeout_s=60)
    await client.post(f"/v1/runs/{created['id']}/cancel", headers=auth)
    run = await finished(client, auth, created["id"])

    assert run["status_code"] == "cancelled"

    # The cancel reached the server: its log says so, once it has written the line (the run
    # is cancelled here as soon as the cancel is sent, not when the server logs it).
    async def cancelled_there() -> bool:
        prediction = f'"Cancelling prediction","prediction_id":"{_hex(created["id"])}'
        return prediction in cog_servers["slow"].log()

    await eventually(cancelled_there, timeout_s=30)


async def test_a_prediction_past_the_timeout_fails_timeout_and_is_cancelled_there(
    client: httpx.AsyncClient, auth: dict[str, str], cog_servers: dict[str, CogServer]
) -> None:
    created = await run_of(client, auth, "acme/hasty", {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "TIMEOUT")

    async def cancelled_there() -> bool:
        prediction = f'"Cancelling prediction","prediction_id":"{_hex(created["id"])}'
        return prediction in cog_servers["hasty"].log()

    await eventually(cancelled_there, timeout_s=30)


async def test_an_exception_in_the_predictor_fails_model_error_with_its_message(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/broken", {"text": "x"})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "MODEL_ERROR")
    assert "the model broke on 'x'" in run["failure_message"]
    assert "Traceback" not in run["failure_message"]


async def test_a_server_that_is_down_is_retried_then_fails_unavailable(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await run_of(client, auth, "acme/down", {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", "PROVIDER_UNAVAILABLE")
    assert run["failure_stage_code"] == "dispatch"
    retried = await client.get("/v1/runs", params={"q": "attempt = 2"}, headers=auth)
    assert [found["id"] for found in retried.json()["items"]] == [run["id"]]
    assert "could not be reached" in run["failure_message"]


@pytest.mark.parametrize(
    ("model", "code", "words"),
    [
        ("acme/not-json", "PROVIDER_ERROR", "not JSON"),
        ("acme/unknown-status", "PROVIDER_ERROR", "unknown prediction status 'exploded'"),
        ("acme/failing", "PROVIDER_UNAVAILABLE", "answered 503"),
        ("acme/starting", "PROVIDER_UNAVAILABLE", "not ready (status 'STARTING')"),
    ],
    ids=["not-json", "unknown-status", "server-error", "not-ready"],
)
async def test_a_server_that_misbehaves_fails_the_run_clearly(
    client: httpx.AsyncClient, auth: dict[str, str], model: str, code: str, words: str
) -> None:
    created = await run_of(client, auth, model, {})
    run = await finished(client, auth, created["id"])

    assert (run["status_code"], run["failure_code"]) == ("failed", code)
    assert words in run["failure_message"]


def _hex(run_id: str) -> str:
    return run_id.replace("-", "")

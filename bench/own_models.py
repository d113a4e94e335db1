"""Own models end to end: 1,000 items of a no-op Python model, and of a no-op Cog predictor
behind one real Cog server, against 1,000 `echo` items in the same run (DESIGN §13).

The Cog server runs the predictor one prediction at a time, as a Cog server does by default.
Each model gets 10 batches × 100 items over real HTTP, timed until the 10 callbacks arrived;
the rounds interleave (echo, python, cog, echo, …) so the machine's drift hits each alike.
Prints the median items/s per model and its overhead per item over `echo`.

    .venv/bin/python -m bench.own_models [sqlite|postgres] [rounds]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.deployment import deployment
from bench.processes import free_port
from bench.receiver import CallbackReceiver

BATCHES = 10
ITEMS = 100
MODELS_DIR = Path(__file__).parent / "models"
MODELS = ("runflow/echo", "bench/noop-python", "bench/noop-cog")
COG_MODEL = """
[[models]]
owner = "bench"
slug = "noop-cog"
name = "No-op Cog predictor"
provider = "cog"
url = "{url}"
is_public = true
timeout_s = 600
concurrency = 1  # a Cog server runs one prediction at a time
[[models.inputs]]
name = "message"
variable_type_code = "string"
is_required = true
[[models.outputs]]
name = "message"
variable_type_code = "string"
"""


@contextmanager
def cog_server() -> Iterator[str]:
    """One real Cog server (the `cog` package's own) running the no-op predictor."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COG_PREDICT_TYPE_STUB": "predict.py:Predictor",
        "PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cog.server.http", "--host", "127.0.0.1"],
        cwd=MODELS_DIR / "cog_noop",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health-check").json().get("status") == "READY":
                    break
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)


async def one_round(base_url: str, api_key: str, model: str) -> float:
    """Seconds from the first POST to the last callback of BATCHES × ITEMS items of `model`."""
    receiver = CallbackReceiver(expected=BATCHES)
    receiver.serve_in_thread()
    headers = {"Authorization": f"Bearer {api_key}"}
    inputs = [{"message": f"item {i}"} for i in range(ITEMS)]
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        started = time.time()
        for n in range(BATCHES):
            body = {"input": inputs, "callback_url": receiver.url(f"batch/{n}")}
            response = await client.post(f"/v1/models/{model}/batches", json=body)
            response.raise_for_status()
        if not await asyncio.to_thread(receiver.all_arrived.wait, 300):
            raise RuntimeError(f"{model}: only {len(receiver.arrivals)} callbacks arrived")
    return max(receiver.arrivals.values()) - started


def cog_alone(url: str, predictions: int = 100) -> float:
    """Predictions per second of the Cog server by itself: sequential synchronous requests."""
    with httpx.Client(timeout=60) as client:
        started = time.perf_counter()
        for n in range(predictions):
            while True:  # busy (409) for a moment after each prediction: ask again
                response = client.post(f"{url}/predictions", json={"input": {"message": f"{n}"}})
                if response.status_code != 409:
                    break
                time.sleep(0.005)
            response.raise_for_status()
        return predictions / (time.perf_counter() - started)


def main(mode: str, rounds: int) -> None:
    timings: defaultdict[str, list[float]] = defaultdict(list)
    with cog_server() as url, tempfile.TemporaryDirectory() as folder:
        alone = cog_alone(url)
        print(f"the Cog server alone: {alone:,.1f} predictions/s ({1e6 / alone:,.0f} µs each)")
        cog_models = Path(folder) / "cog.toml"
        cog_models.write_text(COG_MODEL.replace("{url}", url))
        models = f"{MODELS_DIR / 'models.toml'},{cog_models}"
        settings = {"RUNFLOW_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8", "RUNFLOW_MODELS": models}
        run_rounds(mode, rounds, settings, timings)
    report(mode, rounds, timings)


def run_rounds(
    mode: str, rounds: int, settings: dict[str, str], timings: defaultdict[str, list[float]]
) -> None:
    with deployment(mode, settings) as running:
        time.sleep(1.0)  # let the worker finish starting too
        asyncio.run(one_round(running.base_url, running.api_key, "runflow/echo"))  # warm-up
        for _ in range(rounds):
            for model in MODELS:
                timings[model].append(
                    asyncio.run(one_round(running.base_url, running.api_key, model))
                )


def report(mode: str, rounds: int, timings: defaultdict[str, list[float]]) -> None:
    total = BATCHES * ITEMS
    echo = statistics.median(timings["runflow/echo"])
    print(f"{mode}: {total} items per model, median of {rounds} interleaved rounds")
    for model in MODELS:
        elapsed = statistics.median(timings[model])
        overhead = (elapsed - echo) / total * 1e6
        line = f"  {model:<20} {elapsed:6.2f} s  {total / elapsed:8,.0f} items/s"
        if model != "runflow/echo":
            line += f"  {overhead:+8,.0f} µs per item over echo"
        print(line)


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "sqlite",
        int(sys.argv[2]) if len(sys.argv) > 2 else 3,
    )

"""Estimates (DESIGN §16): the create body in, `{cost, items}` out from the model's pricing
rules, checked as a create is and writing nothing; for a model priced on what its input
states, the estimate is the cost the run ends with."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest

from runflow.catalog.pricing import PriceRule
from runflow.credits.estimates import Estimate, Estimator
from runflow.credits.schemas import cost_estimate
from tests.batches.helpers import assert_error
from tests.conftest import RowCounts
from tests.engine.polling import terminal_batch
from tests.media.helpers import png, uploaded

PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(png(100, 50)).decode()
# Never fetched: an estimate only reads the input (a public address: no DNS here).
A_URL = "https://93.184.215.14/photo.png"


async def estimate(
    client: httpx.AsyncClient, auth: dict[str, str], model: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/models/{model}/batches/estimate", json={"input": items}, headers=auth
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_batch_estimate_prices_each_item_and_writes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()
    items = [{"message": "a", "client_ref": "first"}, {"message": "b"}]

    body = await estimate(client, auth, "runflow/echo", items)

    assert body == {
        "cost": "0.0002",
        "currency_code": "USD",
        "items": [
            {"sequence_index": 0, "client_ref": "first", "cost": "0.0001"},
            {"sequence_index": 1, "client_ref": None, "cost": "0.0001"},
        ],
        "note": None,
    }
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("model", "item", "cost"),
    [
        # 0.262144 MP × 20 steps × 0.00005
        ("runflow/txt2img", {"prompt": "a fox", "width": 512, "height": 512}, "0.000262144"),
        # 0.008192 MP × 4 steps × 0.00005 = 0.0000016384, in nano-units as every cost is.
        ("runflow/txt2img", {"prompt": "a", "width": 64, "height": 128, "steps": 4}, "0.000001638"),
        ("runflow/img2video", {"image": A_URL, "duration_s": 2.5}, "0.025"),
        # Measured from the data URI's header: 100 × 50 px.
        ("runflow/face-detect", {"image": PNG_DATA_URI}, "0.000005"),
        ("runflow/upscale", {"image": PNG_DATA_URI, "scale": 4}, "0.00016"),
        # A URL is not fetched to estimate: the rule's maximum stands in.
        ("runflow/face-detect", {"image": A_URL}, "0.089478485"),
        ("runflow/upscale", {"image": A_URL}, "0.08"),
        ("runflow/image-quality", {"image": A_URL}, "0.0002"),
    ],
)
async def test_each_pricing_rule_is_estimated_from_the_input(
    client: httpx.AsyncClient, auth: dict[str, str], model: str, item: dict[str, Any], cost: str
) -> None:
    body = await estimate(client, auth, model, [item])
    assert (body["cost"], body["items"][0]["cost"], body["note"]) == (cost, cost, None)

    one = await client.post(f"/v1/models/{model}/runs/estimate", json={"input": item}, headers=auth)
    assert one.status_code == 200, one.text
    assert one.json()["cost"] == cost


@pytest.mark.engine(worker_concurrency=8)
async def test_the_estimate_is_the_cost_the_runs_end_with(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media = await uploaded(client, auth, png(120, 80))
    cases: dict[str, list[dict[str, Any]]] = {
        "runflow/echo": [{"message": "hi"}],
        "runflow/txt2img": [{"prompt": "a fox", "width": 64, "height": 64, "steps": 3}],
        "runflow/face-detect": [{"image": media["id"]}],
        "runflow/upscale": [{"image": media["id"], "scale": 2}, {"image": PNG_DATA_URI}],
        "runflow/img2video": [{"image": media["id"], "duration_s": 1, "fps": 6}],
    }
    for model, items in cases.items():
        expected = await estimate(client, auth, model, items)
        created = await client.post(
            f"/v1/models/{model}/batches", json={"input": items}, headers=auth
        )
        assert created.status_code == 201, created.text
        batch = await terminal_batch(client, auth, created.json()["id"], timeout_s=60)
        assert batch["status_code"] == "succeeded", (model, batch)
        assert Decimal(batch["cost"]) == Decimal(expected["cost"]), model
        for entry, item in zip(batch["output"]["items"], expected["items"], strict=True):
            run = (await client.get(f"/v1/runs/{entry['run_id']}", headers=auth)).json()
            assert Decimal(run["cost"]) == Decimal(item["cost"]), (model, run["cost_breakdown"])


async def test_an_estimate_is_refused_as_the_create_would_be(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    before = await row_counts()
    bad = {"input": [{"message": "fine"}, {"message": 7, "delay_ms": -1}]}

    created = await client.post("/v1/models/runflow/echo/batches", json=bad, headers=auth)
    estimated = await client.post(
        "/v1/models/runflow/echo/batches/estimate", json=bad, headers=auth
    )

    assert_error(estimated, 422, "VALIDATION_ERROR")
    assert estimated.json()["errors"] == created.json()["errors"]
    run = await client.post(
        "/v1/models/runflow/txt2img/runs/estimate", json={"input": {"steps": 0}}, headers=auth
    )
    error_locs = {
        tuple(error["loc"]) for error in assert_error(run, 422, "VALIDATION_ERROR")["errors"]
    }
    assert error_locs == {("body", "input", "prompt"), ("body", "input", "steps")}
    missing = await client.post(
        "/v1/models/runflow/nope/batches/estimate", json={"input": [{}]}, headers=auth
    )
    assert_error(missing, 404, "NOT_FOUND")
    empty = await client.post(
        "/v1/models/runflow/echo/batches/estimate", json={"input": []}, headers=auth
    )
    assert_error(empty, 422, "VALIDATION_ERROR")
    unauthenticated = await client.post(
        "/v1/models/runflow/echo/batches/estimate", json={"input": [{}]}
    )
    assert_error(unauthenticated, 401, "UNAUTHORIZED")
    assert await row_counts() == before


def test_a_figure_the_input_does_not_give_counts_as_zero_and_the_estimate_says_so() -> None:
    rules = (PriceRule("r", Decimal("0.01"), "token", "USD", "tokens", None, None),)
    estimator = Estimator(rules, ())

    unknown = estimator.run({"prompt": "hello"})
    named = estimator.run({"prompt": "hello", "tokens": 300})  # a figure named like an input

    assert unknown == Estimate(Decimal(0), frozenset({"tokens"}))
    note = cost_estimate(rules, [(0, None, unknown)]).note
    assert note is not None
    assert "tokens" in note
    assert "lower bound" in note
    assert named == Estimate(Decimal(3))

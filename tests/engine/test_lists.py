"""The query kit on the other lists: `/v1/runs`, `/v1/batches`, a run's logs and node runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.engine.polling import create_batch, terminal_batch, terminal_run
from tests.engine.test_runs_api import post_run

pytestmark = pytest.mark.engine(worker_concurrency=4)


async def walk(
    client: httpx.AsyncClient, auth: dict[str, str], url: str, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item forward through `next`, then every item backward through `previous`."""
    response = await client.get(url, headers=auth, params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    forward = list(page["items"])
    while page["next"] is not None:
        page = (await client.get(url, headers=auth, params=params | {"pq": page["next"]})).json()
        forward.extend(page["items"])
    backward = list(reversed(page["items"]))
    while page["previous"] is not None:
        back = params | {"pq": page["previous"], "from_prev": "true"}
        page = (await client.get(url, headers=auth, params=back)).json()
        backward.extend(reversed(page["items"]))
    return forward, backward


async def test_runs_filter_sort_project_and_page_both_ways(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = [
        await post_run(client, auth, "runflow/echo", {"input": {"fail": i % 3 == 0}})
        for i in range(7)
    ]
    runs = [await terminal_run(client, auth, run["id"]) for run in created]
    failed = {run["id"] for run in runs if run["status_code"] == "failed"}

    forward, backward = await walk(
        client, auth, "/v1/runs", q="status_code = failed", limit=1, fields="status_code"
    )

    assert {item["id"] for item in forward} == failed
    assert [item["id"] for item in backward] == [item["id"] for item in reversed(forward)]
    assert all(set(item) == {"id", "status_code"} for item in forward)

    by_cost, _ = await walk(client, auth, "/v1/runs", sort_by="cost:desc,created_at", limit=3)
    costs = [item["cost"] for item in by_cost]
    assert len(by_cost) == 7
    assert costs == sorted(costs, key=float, reverse=True)
    assert by_cost[0]["links"]["self"] == f"/v1/runs/{by_cost[0]['id']}"


async def test_batches_list_filters_on_counters_and_sorts_newest_first(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    sizes = [1, 3, 2, 3]
    batches = [await create_batch(client, auth, [{}] * size) for size in sizes]
    for batch in batches:
        await terminal_batch(client, auth, batch["id"])

    newest_first, backward = await walk(client, auth, "/v1/batches", limit=3)
    three, _ = await walk(
        client, auth, "/v1/batches", q="items_total = 3 AND status_code = succeeded"
    )
    by_size, _ = await walk(client, auth, "/v1/batches", sort_by="items_total:desc", limit=1)

    assert [item["id"] for item in newest_first] == [batch["id"] for batch in reversed(batches)]
    assert [item["id"] for item in backward] == [batch["id"] for batch in batches]
    assert {item["id"] for item in three} == {batches[1]["id"], batches[3]["id"]}
    assert [item["items_total"] for item in by_size] == [3, 3, 2, 1]


async def test_node_runs_and_logs_page_and_filter(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await post_run(
        client, auth, "runflow/txt2img", {"input": {"prompt": "a hill", "width": 64, "height": 64}}
    )
    run = await terminal_run(client, auth, created["id"])
    url = f"/v1/runs/{run['id']}/node-runs"

    nodes, backward = await walk(client, auth, url, limit=2)
    succeeded, _ = await walk(client, auth, url, q="state_code = succeeded", fields="state_code")
    logs, _ = await walk(client, auth, f"/v1/runs/{run['id']}/logs", q='level_code = "error"')

    assert run["status_code"] == "succeeded"
    assert len(nodes) == 5
    assert [node["id"] for node in backward] == [node["id"] for node in reversed(nodes)]
    assert {node["id"] for node in succeeded} == {
        node["id"] for node in nodes if node["state_code"] == "succeeded"
    }
    assert all(set(node) == {"id", "state_code"} for node in succeeded)
    assert logs == []


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/v1/runs", {"q": "cost >"}, "q"),
        ("/v1/runs", {"q": "input = 1"}, "q"),
        ("/v1/runs", {"sort_by": "input"}, "sort_by"),
        ("/v1/batches", {"fields": "id,nope"}, "fields"),
        ("/v1/batches", {"embed": "run"}, "embed"),
        ("/v1/batches", {"q": "status_code = done"}, "q"),
    ],
)
async def test_bad_list_parameters_get_a_400_naming_the_parameter(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    url: str,
    params: dict[str, str],
    parameter: str,
) -> None:
    response = await client.get(url, headers=auth, params=params)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "BAD_REQUEST"
    assert body["errors"][0]["loc"] == ["query", parameter]


async def test_a_cursor_only_works_on_the_list_it_came_from(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for _ in range(3):
        await post_run(client, auth, "runflow/echo", {"input": {}})
    await create_batch(client, auth, [{}, {}])
    runs_page = (await client.get("/v1/runs", headers=auth, params={"limit": 1})).json()

    on_batches = await client.get("/v1/batches", headers=auth, params={"pq": runs_page["next"]})
    other_sort = await client.get(
        "/v1/runs", headers=auth, params={"pq": runs_page["next"], "sort_by": "cost"}
    )

    assert on_batches.status_code == 400
    assert other_sort.status_code == 400
    assert on_batches.json()["errors"][0]["loc"] == ["query", "pq"]

"""The OpenAPI document's links: from a created object (or a list of the service's own events
and deliveries) to every operation that takes its id, as stateful testers and link-aware clients
follow them."""

from __future__ import annotations

import re
from typing import Any

import httpx

_SOURCES = {
    # source operation → the paths its links must open (all operations under them but streams)
    "createBatch": "/v1/batches/{",
    "retryBatch": "/v1/batches/{",
    "createRun": "/v1/runs/{",
    "rerunRun": "/v1/runs/{",
    "createMedia": "/v1/media/{",
    "completeMediaUpload": "/v1/media/{",
    "createMediaUpload": "/v1/media/uploads/{",
    "createEvaluation": "/v1/evaluations/{",
    "createWebhookEndpoint": "/v1/webhooks/endpoints/{",
    "testWebhookEndpoint": "/v1/webhooks/deliveries/{",
    "listEvents": "/v1/events/{",
    "listWebhookDeliveries": "/v1/webhooks/deliveries/{",
}


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def _links(operation: dict[str, Any]) -> dict[str, Any]:
    (answer,) = [body for code, body in operation["responses"].items() if code.startswith("2")]
    links: dict[str, Any] = answer.get("links", {})
    return links


def _is_stream(operation: dict[str, Any]) -> bool:
    return "text/event-stream" in operation["responses"].get("200", {}).get("content", {})


def _resolve(expression: str, body: dict[str, Any]) -> Any:
    """`$response.body#/json/pointer` against a response body."""
    prefix = "$response.body#"
    assert expression.startswith(prefix), expression
    value: Any = body
    for part in expression[len(prefix) :].split("/")[1:]:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


async def test_every_link_names_a_served_operation_and_exactly_its_path_parameter(
    client: httpx.AsyncClient,
) -> None:
    operations = _operations(await _document(client))
    for source, prefix in _SOURCES.items():
        links = _links(operations[source][2])
        expected = {
            target
            for target, (_, path, operation) in operations.items()
            if path.startswith(prefix)
            and len(re.findall(r"{\w+}", path)) == 1
            and not _is_stream(operation)
        }
        assert set(links) == expected, source
        for name, link in links.items():
            _, path, _ = operations[link["operationId"]]
            assert name == link["operationId"]
            assert set(link["parameters"]) == set(re.findall(r"{(\w+)}", path)), (source, name)


async def test_no_link_leads_into_an_event_stream(client: httpx.AsyncClient) -> None:
    """A stream stays open while its batch or run goes on: a tester following links would
    wait on it."""
    operations = _operations(await _document(client))
    targets = {
        link["operationId"]
        for _, _, operation in operations.values()
        for link in _links(operation).values()
    }
    assert not targets & {"streamBatchEvents", "streamRunEvents"}
    assert {"getBatch", "getRun", "getWebhookEndpoint", "getEvent"} <= targets


async def _follow_reads(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    operations: dict[str, tuple[str, str, dict[str, Any]]],
    source: str,
    body: dict[str, Any],
) -> list[str]:
    """GET every read the source's links lead to, with the id taken from `body` as the link
    says; returns the operations that answered 200."""
    answered = []
    for link in _links(operations[source][2]).values():
        method, path, _ = operations[link["operationId"]]
        if method != "get":
            continue
        for name, expression in link["parameters"].items():
            path = path.replace(f"{{{name}}}", str(_resolve(expression, body)))
        response = await client.get(path, headers=auth)
        assert response.status_code == 200, (link["operationId"], response.text)
        answered.append(link["operationId"])
    return answered


async def test_following_the_links_of_real_answers_reaches_their_objects(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    operations = _operations(await _document(client))
    batch = await client.post(
        "/v1/models/runflow/echo/batches",
        headers=auth,
        json={"input": [{"message": "a"}], "callback_url": "http://127.0.0.1:9/callback"},
    )
    assert batch.status_code == 201, batch.text
    assert set(await _follow_reads(client, auth, operations, "createBatch", batch.json())) == {
        "getBatch",
        "listBatchItems",
        "getBatchCallback",
    }

    run = await client.post(
        "/v1/models/runflow/echo/runs", headers=auth, json={"input": {"message": "b"}}
    )
    assert run.status_code == 201, run.text
    assert set(await _follow_reads(client, auth, operations, "createRun", run.json())) == {
        "getRun",
        "getRunCallback",
        "getRunLogs",
        "getRunNodeRuns",
    }

    endpoint = await client.post(
        "/v1/webhooks/endpoints",
        headers=auth,
        json={"url": "http://127.0.0.1:9/events", "event_types": ["*"]},
    )
    assert endpoint.status_code == 201, endpoint.text
    reads = await _follow_reads(client, auth, operations, "createWebhookEndpoint", endpoint.json())
    assert set(reads) == {"getWebhookEndpoint", "getWebhookEndpointSecret"}

    tested = await client.post(f"/v1/webhooks/endpoints/{endpoint.json()['id']}/test", headers=auth)
    assert tested.status_code == 202, tested.text
    assert await _follow_reads(client, auth, operations, "testWebhookEndpoint", tested.json()) == [
        "getWebhookDelivery"
    ]
    for source, listed in (
        ("listEvents", "/v1/events"),
        ("listWebhookDeliveries", "/v1/webhooks/deliveries"),
    ):
        page = await client.get(listed, headers=auth)
        assert page.status_code == 200, page.text
        assert page.json()["items"], listed
        assert await _follow_reads(client, auth, operations, source, page.json())

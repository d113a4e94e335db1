"""The served OpenAPI document describes the four contract endpoints as `contract/` does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runflow.app import create_app
from runflow.config import Settings

CREATE = ("post", "/v1/models/{owner}/{slug}/batches")
DETAIL = ("get", "/v1/batches/{id}")
ITEMS = ("get", "/v1/batches/{batch_id}/items")
CALLBACK = ("get", "/v1/batches/{batch_id}/callback")
CONTRACT_OPERATIONS = [CREATE, DETAIL, ITEMS, CALLBACK]

# (name, in) of every parameter each contract document declares.
CONTRACT_PARAMETERS: dict[tuple[str, str], set[tuple[str, str]]] = {
    CREATE: {("owner", "path"), ("slug", "path"), ("X-Organization-Id", "header")},
    DETAIL: {("id", "path"), ("X-Organization-Id", "header")},
    ITEMS: {
        ("batch_id", "path"),
        ("X-Organization-Id", "header"),
        ("q", "query"),
        ("limit", "query"),
        ("sort_by", "query"),
        ("fields", "query"),
        ("embed", "query"),
        ("pq", "query"),
        ("from_prev", "query"),
    },
    CALLBACK: {("batch_id", "path"), ("X-Organization-Id", "header")},
}

# Every property of `models__batch__Batch__FullValidator`, each nullable, with its non-null type.
FULL_VALIDATOR_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "format": "uuid"},
    "org_id": {"type": "string", "format": "uuid"},
    "target_type_code": {"type": "string"},
    "target_type": {"type": "string"},
    "target_id": {"type": "string", "format": "uuid"},
    "status_code": {"type": "string"},
    "source_code": {"type": "string"},
    "items_total": {"type": "integer"},
    "items_succeeded": {"type": "integer"},
    "items_failed": {"type": "integer"},
    "items_cancelled": {"type": "integer"},
    "input": {"type": "array"},
    "resolved_template_id": {"type": "string", "format": "uuid"},
    "dispatch_provider_link_id": {"type": "string", "format": "uuid"},
    "cost": {"type": "string", "pattern": r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$"},
    "output": {"type": "object"},
    "metadata": {"type": "object"},
    "callback_url": {"type": "string"},
    "duration_ms": {"type": "integer"},
    "failure_code": {"type": "string"},
    "failure_message": {"type": "string"},
    "failure_stage_code": {"type": "string"},
    "created_by": {"type": "string", "format": "uuid"},
    "created_at": {"type": "string", "format": "date-time"},
    "started_at": {"type": "string", "format": "date-time"},
    "completed_at": {"type": "string", "format": "date-time"},
    "links": {"type": "object"},
    "items": {"type": "array"},
}

CREATE_RESPONSE_REQUIRED = {
    "id",
    "target_type",
    "target_id",
    "status_code",
    "items_total",
    "items_succeeded",
    "items_failed",
    "items_cancelled",
    "items",
    "created_at",
}
CREATE_RESPONSE_OPTIONAL = {
    "output",
    "cost",
    "metadata",
    "callback_url",
    "started_at",
    "completed_at",
}


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _operation(document: dict[str, Any], operation: tuple[str, str]) -> dict[str, Any]:
    method, path = operation
    found: dict[str, Any] = document["paths"][path][method]
    return found


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` to the component it names."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith("#/components/schemas/"), ref
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def _response_schema(
    document: dict[str, Any], operation: tuple[str, str], status: str
) -> dict[str, Any]:
    response = _operation(document, operation)["responses"][status]
    return _resolve(document, response["content"]["application/json"]["schema"])


def _parameters(document: dict[str, Any], operation: tuple[str, str]) -> dict[str, dict[str, Any]]:
    return {
        parameter["name"]: parameter
        for parameter in _operation(document, operation).get("parameters", [])
    }


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    branches: list[dict[str, Any]] = schema.get("anyOf", [schema])
    return branches


# --- paths and parameters -----------------------------------------------------------------


async def test_openapi_lists_the_four_contract_endpoints(openapi: dict[str, Any]) -> None:
    for method, path in CONTRACT_OPERATIONS:
        assert path in openapi["paths"], path
        assert method in openapi["paths"][path], (method, path)


async def test_contract_endpoints_keep_the_contract_operation_ids(
    openapi: dict[str, Any],
) -> None:
    assert _operation(openapi, DETAIL)["operationId"] == "getBatch"


@pytest.mark.parametrize(
    "operation", [DETAIL, ITEMS, CALLBACK], ids=["get-batch", "list-items", "get-callback"]
)
async def test_read_endpoint_parameters_are_exactly_the_contracts(
    openapi: dict[str, Any], operation: tuple[str, str]
) -> None:
    parameters = _parameters(openapi, operation)

    assert {(name, p["in"]) for name, p in parameters.items()} == CONTRACT_PARAMETERS[operation]


async def test_create_parameters_are_the_contracts_plus_idempotency_key(
    openapi: dict[str, Any],
) -> None:
    parameters = _parameters(openapi, CREATE)

    declared = {(name, p["in"]) for name, p in parameters.items()}
    assert declared - {("Idempotency-Key", "header")} == CONTRACT_PARAMETERS[CREATE]
    assert parameters["Idempotency-Key"]["required"] is False


@pytest.mark.parametrize("operation", CONTRACT_OPERATIONS, ids=["create", "get", "items", "cb"])
async def test_path_parameters_are_required_and_header_is_optional(
    openapi: dict[str, Any], operation: tuple[str, str]
) -> None:
    parameters = _parameters(openapi, operation)

    for parameter in parameters.values():
        if parameter["in"] == "path":
            assert parameter["required"] is True, parameter
    organization = parameters["X-Organization-Id"]
    assert organization.get("required", False) is False
    assert {"type": "string"} in _branches(organization["schema"])
    assert {"type": "null"} in _branches(organization["schema"])


@pytest.mark.parametrize(
    ("operation", "name"),
    [(DETAIL, "id"), (ITEMS, "batch_id"), (CALLBACK, "batch_id")],
    ids=["get-id", "items-batch_id", "callback-batch_id"],
)
async def test_batch_id_path_parameters_are_uuids(
    openapi: dict[str, Any], operation: tuple[str, str], name: str
) -> None:
    schema = _parameters(openapi, operation)[name]["schema"]

    assert schema["type"] == "string"
    assert schema["format"] == "uuid"


async def test_items_query_parameters_have_the_contracts_types(openapi: dict[str, Any]) -> None:
    parameters = _parameters(openapi, ITEMS)

    for name in ("q", "sort_by", "fields", "embed", "pq"):
        branches = _branches(parameters[name]["schema"])
        assert {"type": "string"} in branches, name
        assert {"type": "null"} in branches, name
        assert parameters[name].get("required", False) is False
    limit = [b for b in _branches(parameters["limit"]["schema"]) if b.get("type") == "integer"]
    assert limit == [{"type": "integer", "minimum": 1, "maximum": 500}]
    from_prev = parameters["from_prev"]["schema"]
    assert from_prev["type"] == "boolean"
    assert from_prev["default"] is False
    assert parameters["embed"]["description"] == (
        "Relation embedding. Available values: run. Use a comma-separated list to request "
        "multiple embeds."
    )


# --- security and errors ------------------------------------------------------------------


async def test_http_bearer_security_scheme_is_declared(openapi: dict[str, Any]) -> None:
    assert openapi["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
    }


@pytest.mark.parametrize("operation", CONTRACT_OPERATIONS, ids=["create", "get", "items", "cb"])
async def test_contract_endpoints_require_http_bearer(
    openapi: dict[str, Any], operation: tuple[str, str]
) -> None:
    assert {"HTTPBearer": []} in _operation(openapi, operation)["security"]


async def test_error_response_schema_has_code_message_and_errors(
    openapi: dict[str, Any],
) -> None:
    schema = openapi["components"]["schemas"]["ErrorResponse"]

    assert set(schema["required"]) == {"code", "message"}
    assert schema["properties"]["code"]["type"] == "string"
    assert schema["properties"]["message"]["type"] == "string"
    errors = _branches(schema["properties"]["errors"])
    assert {"type": "null"} in errors
    assert any(branch.get("type") == "array" for branch in errors)


@pytest.mark.parametrize("operation", CONTRACT_OPERATIONS, ids=["create", "get", "items", "cb"])
async def test_contract_endpoints_document_errors_as_error_response(
    openapi: dict[str, Any], operation: tuple[str, str]
) -> None:
    responses = _operation(openapi, operation)["responses"]

    for status in ("400", "401", "403", "404", "422"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (status, schema)


# --- request and response schemas ---------------------------------------------------------


async def test_create_body_schema_matches_the_contract(openapi: dict[str, Any]) -> None:
    body = _operation(openapi, CREATE)["requestBody"]
    assert body["required"] is True
    schema = _resolve(openapi, body["content"]["application/json"]["schema"])

    assert schema["required"] == ["input"]
    assert set(schema["properties"]) == {"input", "metadata", "callback_url"}
    items = schema["properties"]["input"]
    assert items["type"] == "array"
    assert items["minItems"] == 1
    assert items["maxItems"] == 100
    assert items["items"]["type"] == "object"
    metadata = _branches(schema["properties"]["metadata"])
    assert any(branch.get("type") == "object" for branch in metadata)
    callback = _branches(schema["properties"]["callback_url"])
    # The contract's string of at most 2,048 characters, with the constraints the server
    # enforces declared too (non-empty, http(s), no NUL).
    (string,) = [branch for branch in callback if branch.get("type") == "string"]
    assert string["maxLength"] == 2048
    assert string["minLength"] == 1
    assert string["format"] == "uri"
    assert {"type": "null"} in callback


async def test_create_documents_a_201_with_the_contract_response(
    openapi: dict[str, Any],
) -> None:
    schema = _response_schema(openapi, CREATE, "201")

    assert set(schema["required"]) == CREATE_RESPONSE_REQUIRED
    assert set(schema["properties"]) == CREATE_RESPONSE_REQUIRED | CREATE_RESPONSE_OPTIONAL
    assert {"type": "string", "pattern": r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$"} in _branches(
        schema["properties"]["cost"]
    )


async def test_detail_response_schema_has_every_full_validator_property(
    openapi: dict[str, Any],
) -> None:
    schema = _response_schema(openapi, DETAIL, "200")

    assert schema["title"] == "FullValidator"
    assert set(schema["properties"]) == set(FULL_VALIDATOR_PROPERTIES)
    assert not schema.get("required")


async def test_full_validator_properties_are_nullable_with_the_contract_types(
    openapi: dict[str, Any],
) -> None:
    schema = _response_schema(openapi, DETAIL, "200")

    mismatches: list[tuple[str, list[dict[str, Any]]]] = []
    for name, expected in FULL_VALIDATOR_PROPERTIES.items():
        branches = _branches(schema["properties"][name])
        typed = [branch for branch in branches if branch.get("type") == expected["type"]]
        matches = len(typed) == 1 and all(typed[0].get(k) == v for k, v in expected.items())
        if {"type": "null"} not in branches or not matches:
            mismatches.append((name, branches))

    assert mismatches == []


async def test_detail_items_are_batch_item_handles(openapi: dict[str, Any]) -> None:
    schema = _response_schema(openapi, DETAIL, "200")
    array = next(b for b in _branches(schema["properties"]["items"]) if b.get("type") == "array")

    handle = _resolve(openapi, array["items"])

    assert handle["title"] == "BatchItemHandle"
    assert set(handle["properties"]) == {
        "id",
        "sequence_index",
        "client_ref",
        "run_id",
        "status_code",
    }
    assert set(handle["required"]) == {"id", "sequence_index", "run_id", "status_code"}
    assert {"type": "null"} in _branches(handle["properties"]["client_ref"])


async def test_items_response_is_the_paginated_envelope(openapi: dict[str, Any]) -> None:
    schema = _response_schema(openapi, ITEMS, "200")

    assert set(schema["properties"]) == {"items", "first", "next", "previous"}
    assert schema["required"] == ["items"]
    for cursor in ("first", "next", "previous"):
        assert {"type": "null"} in _branches(schema["properties"][cursor])


async def test_callback_response_is_a_list_of_deliveries(openapi: dict[str, Any]) -> None:
    response = _operation(openapi, CALLBACK)["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]

    assert schema["type"] == "array"
    delivery = _resolve(openapi, schema["items"])
    assert set(delivery["properties"]) == {
        "id",
        "batch_id",
        "callback_url",
        "payload_bytes",
        "payload",
        "signing_secret_id",
        "is_automatic",
        "status_code",
        "failure_reason_code",
        "failure_detail",
        "attempt_count",
        "max_attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
        "completed_at",
        "attempts",
    }


PROJECTABLE_LISTS = [
    ("get", "/v1/batches"),
    ITEMS,
    ("get", "/v1/runs"),
    ("get", "/v1/runs/{id}/logs"),
    ("get", "/v1/runs/{id}/node-runs"),
    ("get", "/v1/media"),
]


@pytest.mark.parametrize("operation", PROJECTABLE_LISTS)
async def test_rows_of_a_projectable_list_require_only_their_id(
    openapi: dict[str, Any], operation: tuple[str, str]
) -> None:
    page = _operation(openapi, operation)["responses"]["200"]["content"]["application/json"]
    rows = _resolve(openapi, page["schema"])["properties"]["items"]["items"]
    assert _resolve(openapi, rows)["required"] == ["id"]


@pytest.mark.parametrize(
    ("operation", "statuses"),
    [
        (CREATE, {"409", "413", "415"}),
        (("post", "/v1/models/{owner}/{slug}/runs"), {"409", "413", "415"}),
        (("post", "/v1/media"), {"409", "413"}),
        (("post", "/v1/media/uploads"), {"409", "413", "415"}),
        (("patch", "/v1/media/{id}"), {"413", "415"}),
        (("put", "/v1/media/uploads/{id}/content"), {"413"}),
    ],
)
async def test_statuses_a_route_can_answer_because_of_what_it_takes_are_declared(
    openapi: dict[str, Any], operation: tuple[str, str], statuses: set[str]
) -> None:
    assert statuses <= set(_operation(openapi, operation)["responses"])


def test_the_declared_upload_size_maximum_is_the_configured_one(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"media_max_bytes": 5_000_000}), migrate=False)
    size = app.openapi()["components"]["schemas"]["UploadCreate"]["properties"]["size_bytes"]
    assert {"type": "integer", "minimum": 1, "maximum": 5_000_000} in size["anyOf"]


async def test_an_idempotency_key_is_declared_non_blank_and_at_most_255_characters(
    openapi: dict[str, Any],
) -> None:
    parameters = {p["name"]: p for p in _operation(openapi, CREATE)["parameters"]}
    schema = parameters["Idempotency-Key"]["schema"]
    assert (schema["minLength"], schema["maxLength"], schema["pattern"]) == (1, 255, r"\S")

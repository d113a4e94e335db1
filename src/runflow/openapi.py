"""The OpenAPI document, with the component names the contract's documents use."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from runflow.config import Settings

# Our class name → the contract's schema name, so generated clients get the same types.
CONTRACT_SCHEMA_NAMES = {"BatchRead": "models__batch__Batch__FullValidator"}

# Every list shares the query kit's parameters; where the contract words one for a specific
# list (what `embed` offers), it says so here.
CONTRACT_PARAMETER_DESCRIPTIONS = {
    ("/v1/batches/{batch_id}/items", "get", "embed"): (
        "Relation embedding. Available values: run. Use a comma-separated list to request "
        "multiple embeds."
    ),
}


def _describe_parameters(schema: dict[str, Any]) -> None:
    for (path, method, name), description in CONTRACT_PARAMETER_DESCRIPTIONS.items():
        operation = schema.get("paths", {}).get(path, {}).get(method, {})
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == name:
                parameter["description"] = description


def _only_id_required_in_projectable_rows(schema: dict[str, Any]) -> None:
    """A list with a `fields` projection may leave out any field but `id`, so its row schema
    requires only `id`: a strict generated client must accept every projection."""
    schemas = schema.get("components", {}).get("schemas", {})
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if "fields" not in names:
                continue
            page = operation["responses"]["200"]["content"]["application/json"]["schema"]
            page_schema = schemas[page["$ref"].rsplit("/", 1)[1]]
            row_ref = page_schema["properties"]["items"]["items"]["$ref"]
            row = schemas[row_ref.rsplit("/", 1)[1]]
            row["required"] = ["id"]


_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
# Answers every route can give because of what it takes, not of what it does: the body size
# limit (middleware, all bodies), the JSON-only rule (`JsonBody`), the idempotency check.
_CROSS_CUTTING = {
    "413": "Payload too large: the body exceeds the service's limit",
    "415": "Unsupported media type: the body must be application/json",
    "409": "Idempotency-Key reused with a different request",
}


def _declare_cross_cutting_responses(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            statuses: list[str] = []
            body = operation.get("requestBody")
            if body is not None:
                statuses.append("413")
                if "application/json" in body.get("content", {}):
                    statuses.append("415")
            headers = {p.get("name") for p in operation.get("parameters", [])}
            if "Idempotency-Key" in headers:
                statuses.append("409")
            responses = operation.setdefault("responses", {})
            for code in statuses:
                responses.setdefault(
                    code,
                    {
                        "description": _CROSS_CUTTING[code],
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )


# Where an answer names a resource, the operations that take it: OpenAPI links, which stateful
# testers (Schemathesis) and link-aware clients follow from a create to the created object
# instead of guessing ids. (source operation, its status, where the id is, the paths it opens)
_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("createBatch", "201", "$response.body#/id", "/v1/batches/{"),
    ("retryBatch", "201", "$response.body#/id", "/v1/batches/{"),
    ("createRun", "201", "$response.body#/id", "/v1/runs/{"),
    ("rerunRun", "201", "$response.body#/id", "/v1/runs/{"),
    ("createMedia", "201", "$response.body#/id", "/v1/media/{"),
    ("completeMediaUpload", "201", "$response.body#/id", "/v1/media/{"),
    ("createMediaUpload", "201", "$response.body#/id", "/v1/media/uploads/{"),
    ("createEvaluation", "201", "$response.body#/id", "/v1/evaluations/{"),
    ("createWebhookEndpoint", "201", "$response.body#/id", "/v1/webhooks/endpoints/{"),
    ("testWebhookEndpoint", "202", "$response.body#/id", "/v1/webhooks/deliveries/{"),
    ("redeliverWebhookDelivery", "201", "$response.body#/id", "/v1/webhooks/deliveries/{"),
    ("redeliverBatchCallback", "201", "$response.body#/id", "/v1/webhooks/deliveries/{"),
    # Events and deliveries are made by the service, not created by a request: their lists
    # lead to them.
    ("listEvents", "200", "$response.body#/items/0/id", "/v1/events/{"),
    ("listWebhookDeliveries", "200", "$response.body#/items/0/id", "/v1/webhooks/deliveries/{"),
)


def _link_responses_to_their_resources(schema: dict[str, Any]) -> None:
    """Each source's answer links to every operation on a path under its prefix with one path
    parameter. Event streams are left out: a stream stays open while its batch runs."""
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    by_id = {
        operation["operationId"]: operation
        for operations in paths.values()
        for operation in operations.values()
    }
    for source, status, value, prefix in _LINKS:
        links: dict[str, Any] = {}
        for path, operations in paths.items():
            parameters = re.findall(r"{(\w+)}", path)
            if not path.startswith(prefix) or len(parameters) != 1:
                continue
            for operation in operations.values():
                answers = operation["responses"].get("200", {}).get("content", {})
                if "text/event-stream" in answers:
                    continue
                target = operation["operationId"]
                links[target] = {"operationId": target, "parameters": {parameters[0]: value}}
        by_id[source]["responses"][status]["links"] = links


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (renames.get(value, value) if key == "$ref" else _rename_refs(value, renames))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _declare_configured_limits(schema: dict[str, Any], settings: Settings) -> None:
    """Limits an operator sets (`RUNFLOW_MEDIA_MAX_BYTES`) appear in the document as they are
    configured, so a client learns the real maximum before a 413 tells it."""
    upload = schema.get("components", {}).get("schemas", {}).get("UploadCreate")
    if upload is None:
        return
    for branch in upload["properties"]["size_bytes"].get("anyOf", []):
        if branch.get("type") == "integer":
            branch["maximum"] = settings.media_max_bytes


def install_contract_openapi(app: FastAPI, settings: Settings) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.get("components", {}).get("schemas", {})
            for ours, theirs in CONTRACT_SCHEMA_NAMES.items():
                if ours in schemas:
                    schemas[theirs] = schemas.pop(ours)
            refs = {
                f"#/components/schemas/{ours}": f"#/components/schemas/{theirs}"
                for ours, theirs in CONTRACT_SCHEMA_NAMES.items()
            }
            _describe_parameters(schema)
            _only_id_required_in_projectable_rows(schema)
            _declare_cross_cutting_responses(schema)
            _declare_configured_limits(schema, settings)
            _link_responses_to_their_resources(schema)
            app.openapi_schema = _rename_refs(schema, refs)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""The OpenAPI document, with the component names the contract's documents use."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

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


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (renames.get(value, value) if key == "$ref" else _rename_refs(value, renames))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def install_contract_openapi(app: FastAPI) -> None:
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
            app.openapi_schema = _rename_refs(schema, refs)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

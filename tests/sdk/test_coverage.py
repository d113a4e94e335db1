"""The SDK covers the API as it is: a method for every operation of the served document, and
derived code (types, the synchronous client) regenerated from what is committed."""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from runflow_sdk import AsyncRunflow, Runflow
from runflow_sdk._operations import ATTRIBUTE

from runflow.app import create_app

SDK = Path(__file__).resolve().parents[2] / "sdk" / "python"


def _operations_of(client: Any) -> dict[str, str]:
    """operationId → `resource.method`, walking the client's resources and sub-resources."""
    found: dict[str, str] = {}

    def walk(resource: Any, path: str) -> None:
        for name, member in inspect.getmembers(type(resource), inspect.isfunction):
            operation_id = getattr(member, ATTRIBUTE, None)
            if operation_id:
                found[operation_id] = f"{path}.{name}"
        for name, value in vars(resource).items():
            if not name.startswith("_") and hasattr(value, "_client"):
                walk(value, f"{path}.{name}")

    walk(client, "client")
    return found


def _served_operations() -> set[str]:
    document = create_app().openapi()
    return {
        operation["operationId"]
        for methods in document["paths"].values()
        for operation in methods.values()
    }


@pytest.mark.parametrize("client_type", [Runflow, AsyncRunflow])
def test_every_served_operation_has_a_method(client_type: type[Any]) -> None:
    covered = _operations_of(client_type(api_key="rf_key", base_url="http://127.0.0.1:1"))
    missing = _served_operations() - covered.keys()
    assert not missing, f"operations without an SDK method: {sorted(missing)}"
    assert len(covered) >= 55


def test_methods_name_only_served_operations() -> None:
    covered = _operations_of(Runflow(api_key="rf_key", base_url="http://127.0.0.1:1"))
    assert set(covered) <= _served_operations()


def test_sync_and_async_clients_offer_the_same_methods() -> None:
    sync = _operations_of(Runflow(api_key="rf_key", base_url="http://127.0.0.1:1"))
    asynchronous = _operations_of(AsyncRunflow(api_key="rf_key", base_url="http://127.0.0.1:1"))
    assert sync == asynchronous


def test_the_openapi_snapshot_is_the_served_document() -> None:
    """Changing the API means refreshing the SDK: `generate.py --refresh`."""
    snapshot = json.loads((SDK / "openapi.json").read_text())
    assert snapshot == json.loads(json.dumps(create_app().openapi()))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdk_generate", SDK / "scripts" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sdk_generate"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_code_matches_what_is_committed() -> None:
    """types.py and _sync/ are regenerated from openapi.json and _async/: no hand edits."""
    assert _generator().generated_differences() == []


def test_public_methods_have_docstrings() -> None:
    undocumented = []
    for client in (Runflow, AsyncRunflow):
        instance = client(api_key="rf_key", base_url="http://127.0.0.1:1")
        for path in _operations_of(instance).values():
            target: Any = instance
            for part in path.split(".")[1:]:
                target = getattr(target, part)
            if not inspect.getdoc(target):
                undocumented.append(path)
    assert not undocumented

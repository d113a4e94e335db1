"""Regenerate the SDK's derived code: the response types from the OpenAPI snapshot, and the
synchronous client from the asynchronous one.

    .venv/bin/python sdk/python/scripts/generate.py            # from sdk/python/openapi.json
    .venv/bin/python sdk/python/scripts/generate.py --refresh  # snapshot the server's first

Both outputs are committed; a test regenerates them and fails on any difference, so the SDK
cannot drift from the API. `--refresh` imports the server (a development step only); the SDK
itself imports nothing of it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import unasync
from datamodel_code_generator import Formatter, PythonVersion, generate
from datamodel_code_generator.enums import DataModelType, InputFileType

SDK = Path(__file__).resolve().parent.parent
PACKAGE = SDK / "src" / "runflow_sdk"
SNAPSHOT = SDK / "openapi.json"

# Response types validate shapes, not the server's input rules: a longer string or a new status
# from a newer server must not make an older SDK refuse a response.
_INPUT_RULES = {
    "pattern",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "const",
    "examples",
    "example",
}
# The contract fixes this schema's name; the SDK calls it what it is.
_RENAMED = {"models__batch__Batch__FullValidator": "Batch"}
_HEADER = '"""The API\'s types, generated from openapi.json by scripts/generate.py: do not edit."""'

# Names the asynchronous code uses that have a synchronous twin.
_SYNC_NAMES = {
    "AsyncRunflow": "Runflow",
    "AsyncClient": "Client",
    "AsyncPager": "Pager",
    "AsyncBatches": "Batches",
    "AsyncRuns": "Runs",
    "AsyncModels": "Models",
    "AsyncMedia": "Media",
    "AsyncEvaluations": "Evaluations",
    "AsyncWebhooks": "Webhooks",
    "AsyncWebhookEndpoints": "WebhookEndpoints",
    "AsyncWebhookDeliveries": "WebhookDeliveries",
    "AsyncEvents": "Events",
    "AsyncAccount": "Account",
    "AsyncStatus": "Status",
    "AsyncResource": "Resource",
    "AsyncByteStream": "Iterator",
    "aconnect_sse": "connect_sse",
    "aiter_sse": "iter_sse",
    "aiter_bytes": "iter_bytes",
    "aread": "read",
    "aclose": "close",
    "asyncio": "time",
    "_async": "_sync",
    "AsyncStreamEvents": "StreamEvents",
}


def _loosen(node: Any) -> Any:
    if isinstance(node, dict):
        loose = {k: _loosen(v) for k, v in node.items() if k not in _INPUT_RULES}
        if loose.get("format") in {"uri", "email"}:
            del loose["format"]
        if loose.get("additionalProperties") is False:
            del loose["additionalProperties"]
        if isinstance(loose.get("$ref"), str):
            for old, new in _RENAMED.items():
                loose["$ref"] = loose["$ref"].replace(f"/{old}", f"/{new}")
        return loose
    if isinstance(node, list):
        return [_loosen(v) for v in node]
    return node


def response_schema(document: dict[str, Any]) -> dict[str, Any]:
    schemas = dict(document["components"]["schemas"])
    for old, new in _RENAMED.items():
        schemas[new] = schemas.pop(old) | {"title": new}
    return {
        "openapi": document["openapi"],
        "info": document["info"],
        "paths": {},
        "components": {"schemas": _loosen(schemas)},
    }


def _ruff(path: Path, ignore: str) -> None:
    """Format and fix as the repository does, wherever `path` is (the drift test writes to a
    temporary folder, outside the per-file ignores of pyproject.toml: `ignore` repeats them)."""
    ruff = Path(sys.executable).parent / "ruff"
    config = ("--config", str(SDK / "pyproject.toml"))
    subprocess.run([ruff, "format", *config, "--quiet", path], check=True)
    fix: list[str | Path] = [
        ruff,
        "check",
        *config,
        "--extend-ignore",
        ignore,
        "--fix",
        "--quiet",
        path,
    ]
    subprocess.run(fix, check=True)
    subprocess.run([ruff, "format", *config, "--quiet", path], check=True)


def write_types(document: dict[str, Any], output: Path) -> None:
    # Generated in a scratch folder: the generator reads formatting settings from the
    # pyproject.toml above its output, which would make the result depend on where it is.
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "types.py"
        _generate_types(document, raw)
        shutil.copyfile(raw, output)
    _ruff(output, ignore="E501")


def _generate_types(document: dict[str, Any], output: Path) -> None:
    generate(
        json.dumps(response_schema(document)),
        input_file_type=InputFileType.OpenAPI,
        output=output,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        use_annotated=True,
        use_union_operator=True,
        use_standard_collections=True,
        field_constraints=True,
        use_schema_description=True,
        use_field_description=True,
        disable_timestamp=True,
        extra_fields="allow",
        collapse_root_models=True,
        use_double_quotes=True,
        custom_file_header=_HEADER,
        formatters=[Formatter.BUILTIN],
    )


def write_sync(source: Path, target: Path) -> None:
    """The synchronous client is the asynchronous one with `async`/`await` taken out
    (unasync, as httpcore does): one implementation to read and to fix."""
    if target.exists():
        shutil.rmtree(target)
    files = [str(path) for path in sorted(source.rglob("*.py"))]
    rule = unasync.Rule(f"{source}/", f"{target}/", additional_replacements=_SYNC_NAMES)
    unasync.unasync_files(files, rules=[rule])
    for path in target.rglob("*.py"):
        text = path.read_text()
        path.write_text(text.replace('"""Asynchronous', '"""Synchronous', 1))
    _ruff(target, ignore="UP028")


def generate_all(snapshot: Path, package: Path) -> None:
    write_types(json.loads(snapshot.read_text()), package / "types.py")
    write_sync(package / "_async", package / "_sync")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="snapshot the server's document")
    args = parser.parse_args()
    if args.refresh:
        from runflow.app import create_app

        SNAPSHOT.write_text(json.dumps(create_app().openapi(), indent=1, sort_keys=True) + "\n")
    generate_all(SNAPSHOT, PACKAGE)


def generated_differences() -> list[str]:
    """Files whose committed text differs from a fresh generation (for the drift test)."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "runflow_sdk"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        generate_all(SNAPSHOT, copy)
        return [
            str(path.relative_to(copy))
            for path in sorted(copy.rglob("*.py"))
            if path.read_text() != (PACKAGE / path.relative_to(copy)).read_text()
        ]


if __name__ == "__main__":
    main()

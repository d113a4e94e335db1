"""A model's run form, built from its input declarations: the right control for each
`variable_type_code`, its validators as HTML constraints (the browser checks first; the API
checks again and its messages are shown next to their fields)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile

MEDIA_KINDS = {"image": "image/*", "video": "video/*"}


@dataclass
class FormField:
    name: str
    label: str
    description: str | None
    kind: str  # text, textarea, number, checkbox, select, media, json
    required: bool
    default: Any
    attrs: dict[str, str] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)
    accept: str = ""


def fields_of(model: dict[str, Any]) -> list[FormField]:
    inputs = sorted(model.get("inputs") or [], key=lambda spec: spec.get("sort_order", 0))
    return [_field(spec) for spec in inputs]


def _field(spec: dict[str, Any]) -> FormField:
    kind_code = spec["variable_type_code"]
    attrs = spec.get("validator_attrs") or {}
    constraints: dict[str, str] = {}
    if "min" in attrs:
        constraints["min"] = str(attrs["min"])
    if "max" in attrs:
        constraints["max"] = str(attrs["max"])
    if "min_length" in attrs:
        constraints["minlength"] = str(attrs["min_length"])
    if "max_length" in attrs:
        constraints["maxlength"] = str(attrs["max_length"])
    if "pattern" in attrs:
        constraints["pattern"] = str(attrs["pattern"])
    kind = {
        "integer": "number",
        "float": "number",
        "seed": "number",
        "boolean": "checkbox",
        "enum": "select",
        "image": "media",
        "video": "media",
        "json": "json",
    }.get(kind_code, "text")
    if kind == "number":
        multiple = attrs.get("multiple_of")
        constraints["step"] = "any" if kind_code == "float" else str(multiple or 1)
        if kind_code == "seed":
            constraints.setdefault("min", "0")
    if kind == "text" and int(attrs.get("max_length") or 0) > 200:
        kind = "textarea"
    default = spec.get("default_value")
    return FormField(
        name=spec["name"],
        label=spec.get("display_name") or spec["name"].replace("_", " ").capitalize(),
        description=spec.get("description"),
        kind=kind,
        required=bool(spec.get("is_required")),
        default=default,
        attrs=constraints,
        choices=[str(value) for value in attrs.get("values") or []],
        accept=MEDIA_KINDS.get(kind_code, ""),
    )


@dataclass
class Submitted:
    """A filled form: the input as the API takes it, what could not even be read, and the
    files still to upload (their media ids then go into `values`)."""

    values: dict[str, Any]
    errors: dict[str, str]
    files: dict[str, UploadFile]


def read_form(fields: list[FormField], form: FormData, numbers: dict[str, str]) -> Submitted:
    """`numbers` says, per number field, whether it is an `integer`, `float` or `seed`."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    files: dict[str, UploadFile] = {}
    for spec in fields:
        raw = form.get(spec.name)
        if spec.kind == "checkbox":
            values[spec.name] = raw is not None
            continue
        if spec.kind == "media":
            upload = form.get(f"{spec.name}__file")
            if isinstance(upload, UploadFile) and upload.filename:
                files[spec.name] = upload
            elif isinstance(raw, str) and raw.strip():
                values[spec.name] = raw.strip()
            continue
        if not isinstance(raw, str) or raw == "":
            continue  # absent: the model's default applies (or the API says it is required)
        if spec.kind == "number":
            try:
                values[spec.name] = float(raw) if numbers.get(spec.name) == "float" else int(raw)
            except ValueError:
                whole = numbers.get(spec.name) != "float"
                errors[spec.name] = "Enter a whole number." if whole else "Enter a number."
        elif spec.kind == "json":
            try:
                values[spec.name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors[spec.name] = f"Not JSON: {exc.msg} (line {exc.lineno})."
        else:
            values[spec.name] = raw
    return Submitted(values, errors, files)


def number_types(model: dict[str, Any]) -> dict[str, str]:
    return {
        spec["name"]: spec["variable_type_code"]
        for spec in model.get("inputs") or []
        if spec["variable_type_code"] in {"integer", "float", "seed"}
    }


def read_jsonl(text: str) -> tuple[list[dict[str, Any]], list[int], str | None]:
    """Items of pasted or uploaded JSON Lines and the line of each; the first bad line is
    named (and then no item is returned)."""
    items: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            return [], [], f"Line {number} is not JSON: {exc.msg}."
        if not isinstance(value, dict):
            return [], [], f"Line {number} is not a JSON object."
        items.append(value)
        lines.append(number)
    if not items:
        return [], [], "The JSON Lines hold no items."
    if len(items) > 100:
        return [], [], f"A batch holds at most 100 items; these JSON Lines hold {len(items)}."
    return items, lines, None

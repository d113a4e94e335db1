"""Models files (`RUNFLOW_MODELS`, DESIGN §13): your own models, declared in TOML.

Each `[[models]]` table uses the catalog's own field names and the §8 vocabulary, plus the
provider and its settings. A file is parsed strictly (unknown fields are errors), turned into
the same `ModelSpec`s as the built-in models, and registered by `register_models`. Anything
wrong refuses the start with one `ModelsFileError` naming the file, the model and the field:

    models.toml: model acme/shout: inputs[0].variable_type_code: 'strng' is not one of ...
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import tomllib
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runflow.catalog.declarations import DefaultBehavior, ValidatorCode, VariableType
from runflow.catalog.specs import (
    BUILTIN_OWNER,
    ExampleSpec,
    InputSpec,
    ModelSpec,
    OutputSpec,
    PricingSpec,
)
from runflow.catalog.validation import check_input

# Per validator: the `validator_attrs` keys it reads, those it needs, and the types it fits.
_NUMBERS = {VariableType.INTEGER, VariableType.FLOAT, VariableType.SEED}
_TEXT = {VariableType.STRING, VariableType.ENUM}
_VALIDATORS: dict[str, tuple[set[str], set[str], set[VariableType]]] = {
    ValidatorCode.RANGE: ({"min", "max", "multiple_of"}, set(), _NUMBERS),
    ValidatorCode.MULTIPLE_OF: ({"multiple_of"}, {"multiple_of"}, _NUMBERS),
    ValidatorCode.LENGTH: ({"min_length", "max_length"}, set(), _TEXT),
    ValidatorCode.REGEX: ({"pattern"}, {"pattern"}, _TEXT),
    ValidatorCode.CHOICES: ({"values"}, {"values"}, _TEXT | _NUMBERS),
}

_SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
_NAME = r"^[a-z_][a-z0-9_]{0,99}$"
_TARGET = r"^[^.\s]+\.inputs\.[^.\s]+$"
_ENTRY = r"^[\w.]+:\w+$"


class ModelsFileError(Exception):
    """A models file that cannot be loaded; the message names the file, model and field."""


def _one_of(value: object, vocabulary: type[Any]) -> Any:
    choices = [member.value for member in vocabulary]
    if value not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return value


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputEntry(_Table):
    name: str = Field(pattern=_NAME)
    variable_type_code: str
    description: str = ""
    is_required: bool = False
    default_value: Any = None
    default_behavior_code: str | None = None
    validator_code: str | None = None
    validator_attrs: dict[str, Any] | None = None
    is_featured: bool = False
    # ComfyUI models: where the value goes in the workflow, "<node id>.inputs.<name>".
    target: str | None = Field(default=None, pattern=_TARGET)

    @field_validator("variable_type_code")
    @classmethod
    def _variable_type(cls, value: str) -> str:
        return str(_one_of(value, VariableType))

    @field_validator("validator_code")
    @classmethod
    def _validator(cls, value: str | None) -> str | None:
        return None if value is None else str(_one_of(value, ValidatorCode))

    @field_validator("default_behavior_code")
    @classmethod
    def _default_behavior(cls, value: str | None) -> str | None:
        return None if value is None else str(_one_of(value, DefaultBehavior))

    def spec(self) -> InputSpec:
        # TOML has no null: a `default_value` written in the file is a default, even `""`.
        written = "default_value" in self.model_fields_set
        default = {"default": self.default_value} if written else {}
        return InputSpec(
            self.name,
            VariableType(self.variable_type_code),
            self.description,
            is_required=self.is_required,
            default_behavior_code=(
                DefaultBehavior(self.default_behavior_code) if self.default_behavior_code else None
            ),
            validator_code=ValidatorCode(self.validator_code) if self.validator_code else None,
            validator_attrs=self.validator_attrs,
            is_featured=self.is_featured,
            **default,
        )


class OutputEntry(_Table):
    name: str = Field(pattern=_NAME)
    variable_type_code: str
    description: str = ""
    # ComfyUI models: the node whose images (or videos) become this output; by default, every
    # output node's.
    source: str | None = Field(default=None, min_length=1)

    @field_validator("variable_type_code")
    @classmethod
    def _variable_type(cls, value: str) -> str:
        return str(_one_of(value, VariableType))


class PricingEntry(_Table):
    pricing_model_code: str = Field(min_length=1, max_length=30)
    unit_code: str = Field(min_length=1, max_length=30)
    price: str
    dimension_code: str | None = Field(default=None, min_length=1, max_length=50)
    multiplier_label: str | None = None
    description: str = ""
    # The most `dimension_code` can be; estimates assume it when the input cannot tell.
    max_value: str | None = None

    @field_validator("price", "max_value")
    @classmethod
    def _decimal(cls, value: str | None) -> str | None:
        # A string, not a TOML float: prices are exact decimals and never go through binary.
        if value is None:
            return None
        try:
            price = Decimal(value)
        except InvalidOperation:
            price = Decimal("NaN")
        if not price.is_finite() or price < 0:
            raise ValueError(f"{value!r} is not a non-negative decimal string like '0.002'")
        return value


class ExampleEntry(_Table):
    title: str = Field(min_length=1, max_length=200)
    input: dict[str, Any]
    description: str | None = None


class ModelEntry(_Table):
    owner: str = Field(pattern=_SLUG)
    slug: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    version: str = Field(default="1", min_length=1, max_length=50)
    category_code: str = Field(default="custom", min_length=1, max_length=50)
    inputs: list[InputEntry] = []
    outputs: list[OutputEntry] = []
    pricing: list[PricingEntry] = []
    examples: list[ExampleEntry] = []
    provider: Literal["python", "cog", "comfyui"]
    # python: the callable, its optional setup, and whether it runs in a process pool.
    entry: str | None = Field(default=None, pattern=_ENTRY)
    setup: str | None = Field(default=None, pattern=_ENTRY)
    process: bool = False
    # cog and comfyui: the model server; comfyui: the workflow file in ComfyUI's API format.
    url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    workflow: str | None = Field(default=None, min_length=1)
    timeout_s: float = Field(default=300.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    concurrency: int | None = Field(default=None, ge=1)
    queue_timeout_s: float | None = Field(default=None, gt=0)
    is_public: bool = False

    @field_validator("owner")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == BUILTIN_OWNER:
            raise ValueError(f"{BUILTIN_OWNER!r} is reserved for the built-in models")
        return value


class ModelsFile(_Table):
    models: list[ModelEntry] = []


def load_models_files(paths: Sequence[Path]) -> list[ModelSpec]:
    """Every model of every file, checked; raises `ModelsFileError` at the first problem."""
    specs: list[ModelSpec] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for spec in load_models_file(path):
            if spec.path in seen:
                where = "" if seen[spec.path] == path else f" (already in {seen[spec.path]})"
                raise ModelsFileError(f"{path}: model {spec.path}: slug: duplicate{where}")
            seen[spec.path] = path
            specs.append(spec)
    return specs


def load_models_file(path: Path) -> list[ModelSpec]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ModelsFileError(f"{path}: cannot be read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ModelsFileError(f"{path}: not valid TOML: {error}") from None
    try:
        parsed = ModelsFile.model_validate(raw)
    except ValidationError as error:
        raise ModelsFileError(_describe(path, raw, error)) from None
    root = path.resolve().parent
    specs = []
    for entry in parsed.models:
        label = f"{path}: model {entry.owner}/{entry.slug}"
        for index, declared in enumerate(entry.inputs):
            problem = _declaration_problem(declared)
            if problem is not None:
                raise ModelsFileError(f"{label}: inputs[{index}].{problem}")
        try:
            settings = _provider_settings(entry, root)
        except _SettingProblem as problem:
            raise ModelsFileError(f"{label}: {problem}") from None
        specs.append(_spec(entry, settings))
    return specs


class _SettingProblem(Exception):
    """`field: problem` in a model's provider settings."""


# The fields of each provider; any other provider's fields are errors, not silently ignored.
_PROVIDER_FIELDS = {
    "python": {"entry", "setup", "process"},
    "cog": {"url"},
    "comfyui": {"url", "workflow"},
}
_REQUIRED_FIELDS = {"python": ("entry",), "cog": ("url",), "comfyui": ("url", "workflow")}


def _provider_settings(entry: ModelEntry, root: Path) -> dict[str, Any]:
    """The settings a provider runs the model with, checked as far as can be at start."""
    provider = entry.provider
    given = entry.model_fields_set & set().union(*_PROVIDER_FIELDS.values())
    for field in sorted(given - _PROVIDER_FIELDS[provider]):
        raise _SettingProblem(f"{field}: does not apply to provider {provider!r}")
    for field in _REQUIRED_FIELDS[provider]:
        if getattr(entry, field) is None:
            raise _SettingProblem(f"{field}: is required for provider {provider!r}")
    targeted = [index for index, declared in enumerate(entry.inputs) if declared.target]
    sourced = [index for index, output in enumerate(entry.outputs) if output.source]
    if provider != "comfyui" and targeted:
        raise _SettingProblem(f"inputs[{targeted[0]}].target: only comfyui inputs have one")
    if provider != "comfyui" and sourced:
        raise _SettingProblem(f"outputs[{sourced[0]}].source: only comfyui outputs have one")
    if provider == "python":
        for field in ("entry", "setup"):
            target = getattr(entry, field)
            if target is not None:
                try:
                    import_entry(root, target)
                except EntryNotLoadable as error:
                    raise _SettingProblem(f"{field}: {error}") from None
        return {
            "root": str(root),
            "entry": entry.entry,
            "setup": entry.setup,
            "process": entry.process,
        }
    if provider == "cog":
        # The output's declared types say which values are files to keep as media.
        outputs = {output.name: output.variable_type_code for output in entry.outputs}
        return {"url": str(entry.url).rstrip("/"), "outputs": outputs}
    return {"url": str(entry.url).rstrip("/"), **_comfyui_settings(entry, root)}


def _comfyui_settings(entry: ModelEntry, root: Path) -> dict[str, Any]:
    """The workflow (read now, so every worker runs the same one) and where inputs go."""
    workflow_path = root / str(entry.workflow)
    try:
        workflow = json.loads(workflow_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _SettingProblem(f"workflow: {workflow_path} cannot be read: {error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise _SettingProblem(f"workflow: {workflow_path} is not JSON: {error}") from None
    nodes = workflow if isinstance(workflow, dict) else {}
    if not nodes or not all(
        isinstance(node, dict) and "class_type" in node and isinstance(node.get("inputs"), dict)
        for node in nodes.values()
    ):
        raise _SettingProblem(
            f"workflow: {workflow_path} is not in ComfyUI's API format "
            "(an object of node id → {class_type, inputs}; export it with 'Save (API)')"
        )
    targets: dict[str, list[str]] = {}
    for index, declared in enumerate(entry.inputs):
        if declared.target is None:
            raise _SettingProblem(f"inputs[{index}].target: is required for provider 'comfyui'")
        node_id, _, name = declared.target.partition(".inputs.")
        if node_id not in nodes:
            raise _SettingProblem(
                f"inputs[{index}].target: node {node_id!r} is not in the workflow"
            )
        targets[declared.name] = [node_id, name]
    sources: dict[str, str] = {}
    for index, output in enumerate(entry.outputs):
        if output.source is not None:
            if output.source not in nodes:
                raise _SettingProblem(
                    f"outputs[{index}].source: node {output.source!r} is not in the workflow"
                )
            sources[output.name] = output.source
    # Without `source`s, every output node's images go to the first declared output.
    first = entry.outputs[0].name if entry.outputs else "images"
    return {"workflow": nodes, "targets": targets, "sources": sources, "default_output": first}


class EntryNotLoadable(Exception):
    """A `module:callable` that does not import or is not callable."""


def import_entry(root: Path, target: str) -> Callable[..., Any]:
    """The callable at `module:name`, imported with the models file's folder first on sys.path."""
    module_name, _, attribute = target.partition(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise EntryNotLoadable(
            f"{target!r} does not import: {type(error).__name__}: {error}"
        ) from error
    function = getattr(module, attribute, None)
    if not callable(function):
        raise EntryNotLoadable(f"{target!r}: module {module_name} has no callable {attribute}")
    return function  # type: ignore[no-any-return]


def _declaration_problem(declared: InputEntry) -> str | None:
    """`field: problem` for an input the catalog would fail on at request time, or None."""
    code = declared.validator_code
    attrs = declared.validator_attrs or {}
    if code is not None:
        known, needed, fits = _VALIDATORS[code]
        if declared.variable_type_code not in fits:
            kinds = ", ".join(sorted(fits))
            kind = declared.variable_type_code
            return f"validator_code: {code!r} does not apply to {kind} (only {kinds})"
        if unknown := sorted(set(attrs) - known):
            return f"validator_attrs: {code} does not read {', '.join(unknown)}"
        if missing := sorted(needed - set(attrs)):
            return f"validator_attrs: {code} needs {', '.join(missing)}"
        if code == ValidatorCode.REGEX:
            try:
                re.compile(str(attrs["pattern"]))
            except re.error as error:
                return f"validator_attrs.pattern: not a regular expression ({error})"
        if code == ValidatorCode.CHOICES and not isinstance(attrs["values"], list):
            return "validator_attrs.values: must be a list"
    elif attrs:
        return "validator_attrs: given without a validator_code"
    if "default_value" in declared.model_fields_set:
        spec = declared.spec()
        check = check_input([spec], {spec.name: declared.default_value})
        if check.errors:
            return f"default_value: {check.errors[0]['msg']}"
    return None


def _spec(entry: ModelEntry, settings: dict[str, Any]) -> ModelSpec:
    return ModelSpec(
        owner=entry.owner,
        slug=entry.slug,
        name=entry.name,
        description=entry.description,
        category_code=entry.category_code,
        version=entry.version,
        inputs=tuple(declared.spec() for declared in entry.inputs),
        outputs=tuple(
            OutputSpec(output.name, VariableType(output.variable_type_code), output.description)
            for output in entry.outputs
        ),
        pricing=tuple(
            PricingSpec(
                rule.pricing_model_code,
                rule.unit_code,
                Decimal(rule.price),
                rule.description,
                dimension_code=rule.dimension_code,
                multiplier_label=rule.multiplier_label,
                max_value=None if rule.max_value is None else Decimal(rule.max_value),
            )
            for rule in entry.pricing
        ),
        examples=tuple(
            ExampleSpec(example.title, example.input, example.description)
            for example in entry.examples
        ),
        timeout_s=entry.timeout_s,
        max_retries=entry.max_retries,
        is_public=entry.is_public,
        provider_code=entry.provider,
        provider_settings=settings,
        concurrency=entry.concurrency,
        queue_timeout_s=entry.queue_timeout_s,
    )


def _describe(path: Path, raw: dict[str, Any], error: ValidationError) -> str:
    """Pydantic's first error as `file: model owner/slug: field.path: problem`."""
    first = error.errors()[0]
    location = list(first["loc"])
    label = f"{path}"
    if len(location) >= 2 and location[0] == "models" and isinstance(location[1], int):
        index = location[1]
        table = raw["models"][index]
        if not isinstance(table, dict):
            table = {}
        owner, slug = table.get("owner"), table.get("slug")
        name = f"{owner}/{slug}" if owner and slug else f"models[{index}]"
        label = f"{path}: model {name}"
        location = location[2:]
    field = ""
    for part in location:
        field += f"[{part}]" if isinstance(part, int) else f".{part}" if field else str(part)
    if first["type"] == "extra_forbidden":
        problem = "unknown field"
    elif first["type"] == "missing":
        problem = "is required"
    elif first["type"] == "value_error":
        problem = str(first["ctx"]["error"])
    else:
        problem = f"{first['msg']} (got {first['input']!r})"
    return f"{label}: {field}: {problem}" if field else f"{label}: {problem}"

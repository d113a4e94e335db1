"""A models file is parsed strictly: a bad one is refused with one message naming the file,
the model and the field."""

from __future__ import annotations

import textwrap
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from runflow.catalog.declarations import DefaultBehavior, ValidatorCode, VariableType
from runflow.catalog.models_file import ModelsFileError, load_models_files

EXAMPLE = Path(__file__).parents[2] / "examples" / "vignette" / "models.toml"

GOOD = """
[[models]]
owner = "acme"
slug = "shout"
name = "Shout"
provider = "python"
entry = "{module}:run"
[[models.inputs]]
name = "text"
variable_type_code = "string"
is_required = true
[[models.pricing]]
pricing_model_code = "per_run"
unit_code = "run"
price = "0.002"
"""


def models_file(tmp_path: Path, toml: str, **replacements: str) -> Path:
    """A models file beside a real module `entry` can import (a fresh name per test: modules
    are cached per process)."""
    module = f"shout_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text("def run(inputs, context):\n    return {}\n")
    text = textwrap.dedent(toml).replace("{module}", module)
    for old, new in replacements.items():
        text = text.replace(old, new)
    path = tmp_path / "models.toml"
    path.write_text(text)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ModelsFileError) as raised:
        load_models_files([path])
    return str(raised.value)


def test_a_good_file_becomes_catalog_specs(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD)
    (spec,) = load_models_files([path])
    assert (spec.owner, spec.slug, spec.name, spec.provider_code) == (
        "acme",
        "shout",
        "Shout",
        "python",
    )
    assert spec.inputs[0].name == "text"
    assert spec.inputs[0].variable_type_code is VariableType.STRING
    assert spec.inputs[0].is_required
    assert spec.pricing[0].price == Decimal("0.002")
    assert spec.is_public is False
    assert spec.provider_settings is not None
    assert spec.provider_settings["root"] == str(tmp_path.resolve())
    assert spec.provider_settings["entry"].endswith(":run")


def test_the_example_vignette_file_loads(tmp_path: Path) -> None:
    (spec,) = load_models_files([EXAMPLE])
    assert spec.path == "acme/vignette"
    strength = spec.inputs[1]
    assert strength.validator_code is ValidatorCode.RANGE
    assert strength.default_value == {"value": 0.5}
    assert strength.resolved_default_behavior is DefaultBehavior.USE_DEFAULT
    assert spec.pricing[0].dimension_code == "input_megapixels"
    assert spec.pricing[0].max_value == Decimal(50)


def test_several_files_are_read_in_order(tmp_path: Path) -> None:
    first = models_file(tmp_path, GOOD)
    (tmp_path / "more").mkdir()
    second = models_file(tmp_path / "more", GOOD, **{'slug = "shout"': 'slug = "whisper"'})
    assert [spec.slug for spec in load_models_files([first, second])] == ["shout", "whisper"]


def test_toml_syntax_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'name = "Shout"': "name = Shout"})
    message = refusal(path)
    assert message.startswith(f"{path}: not valid TOML: ")
    assert "line 5" in message


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{"is_required = true": "is_required = true\ncolour = 1"})
    assert refusal(path) == f"{path}: model acme/shout: inputs[0].colour: unknown field"


def test_an_unknown_model_field_is_refused(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'name = "Shout"': 'name = "Shout"\ngpus = 2'})
    assert refusal(path) == f"{path}: model acme/shout: gpus: unknown field"


def test_an_unknown_variable_type_is_refused(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'"string"': '"strng"'})
    assert refusal(path) == (
        f"{path}: model acme/shout: inputs[0].variable_type_code: 'strng' is not one of "
        "string, integer, float, boolean, enum, seed, image, video, json"
    )


def test_an_unknown_validator_is_refused(tmp_path: Path) -> None:
    path = models_file(
        tmp_path, GOOD, **{"is_required = true": 'is_required = true\nvalidator_code = "size"'}
    )
    message = refusal(path)
    assert message.startswith(
        f"{path}: model acme/shout: inputs[0].validator_code: 'size' is not one of range"
    )


@pytest.mark.parametrize("price", ["0.002", '"-1"', '"cheap"', '"NaN"'])
def test_a_price_must_be_a_non_negative_decimal_string(tmp_path: Path, price: str) -> None:
    path = models_file(tmp_path, GOOD, **{'price = "0.002"': f"price = {price}"})
    message = refusal(path)
    assert message.startswith(f"{path}: model acme/shout: pricing[0].price: ")
    if price.startswith('"'):
        assert "is not a non-negative decimal string" in message


def test_a_duplicate_owner_and_slug_is_refused(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD + GOOD)
    assert refusal(path) == f"{path}: model acme/shout: slug: duplicate"


def test_a_duplicate_across_files_names_both(tmp_path: Path) -> None:
    first = models_file(tmp_path, GOOD)
    (tmp_path / "more").mkdir()
    second = models_file(tmp_path / "more", GOOD)
    with pytest.raises(ModelsFileError) as raised:
        load_models_files([first, second])
    assert str(raised.value) == (
        f"{second}: model acme/shout: slug: duplicate (already in {first})"
    )


def test_a_python_model_needs_an_entry(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'entry = "': 'description = "'})
    assert refusal(path) == (f"{path}: model acme/shout: entry: is required for provider 'python'")


def test_an_entry_that_does_not_import_is_refused(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'entry = "shout_': 'entry = "nowhere_'})
    message = refusal(path)
    assert message.startswith(f"{path}: model acme/shout: entry: 'nowhere_")
    assert "does not import: ModuleNotFoundError" in message


def test_an_entry_whose_module_raises_is_refused(tmp_path: Path) -> None:
    (tmp_path / "explodes_on_import.py").write_text("raise ImportError('no GPU here')\n")
    path = models_file(tmp_path, GOOD, **{'entry = "shout_': 'entry = "explodes_on_import:run"\n#'})
    message = refusal(path)
    assert message == (
        f"{path}: model acme/shout: entry: 'explodes_on_import:run' does not import: "
        "ImportError: no GPU here"
    )


def test_an_entry_naming_a_missing_callable_is_refused(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{':run"': ':predict"'})
    message = refusal(path)
    assert message.startswith(f"{path}: model acme/shout: entry: ")
    assert "has no callable predict" in message


def test_the_runflow_owner_is_reserved_for_built_in_models(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'owner = "acme"': 'owner = "runflow"'})
    assert refusal(path) == (
        f"{path}: model runflow/shout: owner: 'runflow' is reserved for the built-in models"
    )


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    path = models_file(tmp_path, GOOD, **{'name = "Shout"\n': ""})
    assert refusal(path) == f"{path}: model acme/shout: name: is required"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    assert refusal(path) == f"{path}: cannot be read: No such file or directory"


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        (
            'validator_code = "regex"',
            "inputs[0].validator_attrs: regex needs pattern",
        ),
        (
            'validator_code = "regex"\nvalidator_attrs = { pattern = "(" }',
            "inputs[0].validator_attrs.pattern: not a regular expression",
        ),
        (
            'validator_code = "length"\nvalidator_attrs = { maximum = 3 }',
            "inputs[0].validator_attrs: length does not read maximum",
        ),
        (
            'validator_code = "range"\nvalidator_attrs = { max = 3 }',
            "inputs[0].validator_code: 'range' does not apply to string",
        ),
        (
            "validator_attrs = { max_length = 3 }",
            "inputs[0].validator_attrs: given without a validator_code",
        ),
        (
            'validator_code = "length"\nvalidator_attrs = { max_length = 3 }\n'
            'default_value = "too long"',
            "inputs[0].default_value: must be at most 3 characters long",
        ),
        ("default_value = 7", "inputs[0].default_value: must be a string"),
    ],
)
def test_an_input_the_catalog_would_fail_on_is_refused_at_start(
    tmp_path: Path, declaration: str, problem: str
) -> None:
    path = models_file(
        tmp_path, GOOD, **{"is_required = true": f"is_required = true\n{declaration}"}
    )
    assert refusal(path).startswith(f"{path}: model acme/shout: {problem}")


COG = """
[[models]]
owner = "acme"
slug = "caption"
name = "Caption"
provider = "cog"
url = "http://127.0.0.1:5000/"
[[models.inputs]]
name = "text"
variable_type_code = "string"
"""

COMFYUI = """
[[models]]
owner = "acme"
slug = "sdxl"
name = "SDXL"
provider = "comfyui"
url = "http://gpu-1:8188"
workflow = "workflow.json"
[[models.inputs]]
name = "prompt"
variable_type_code = "string"
target = "6.inputs.text"
[[models.outputs]]
name = "images"
variable_type_code = "image"
source = "9"
"""

WORKFLOW = (
    '{"6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},'
    ' "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}}'
)


def test_a_cog_model_keeps_its_url(tmp_path: Path) -> None:
    (spec,) = load_models_files([models_file(tmp_path, COG)])
    assert spec.provider_code == "cog"
    assert spec.provider_settings == {"url": "http://127.0.0.1:5000", "outputs": {}}


def test_a_comfyui_model_reads_its_workflow_and_targets(tmp_path: Path) -> None:
    (tmp_path / "workflow.json").write_text(WORKFLOW)
    (spec,) = load_models_files([models_file(tmp_path, COMFYUI)])
    assert spec.provider_code == "comfyui"
    settings = spec.provider_settings or {}
    assert settings["url"] == "http://gpu-1:8188"
    assert settings["workflow"]["6"]["class_type"] == "CLIPTextEncode"
    assert settings["targets"] == {"prompt": ["6", "text"]}
    assert settings["sources"] == {"images": "9"}


@pytest.mark.parametrize(
    ("toml", "replace", "problem"),
    [
        (COG, ('url = "http://127.0.0.1:5000/"', ""), "url: is required for provider 'cog'"),
        (COG, ('url = "http://127.0.0.1:5000/"', 'url = "ftp://x"'), "url: String should match"),
        (COG, ('provider = "cog"', 'provider = "cog"\nentry = "m:run"'), "entry: does not apply"),
        (GOOD, ('provider = "python"', 'provider = "python"\nurl = "http://x"'), "url: does not"),
        (
            COG,
            (
                'variable_type_code = "string"',
                'variable_type_code = "string"\ntarget = "1.inputs.a"',
            ),
            "inputs[0].target: only comfyui",
        ),
        (COMFYUI, ('workflow = "workflow.json"', ""), "workflow: is required for provider"),
        (COMFYUI, ('target = "6.inputs.text"', ""), "inputs[0].target: is required for provider"),
        (COMFYUI, ('target = "6.inputs.text"', 'target = "7.inputs.text"'), "node '7' is not in"),
        (COMFYUI, ('target = "6.inputs.text"', 'target = "6.text"'), "inputs[0].target: String"),
        (COMFYUI, ('source = "9"', 'source = "10"'), "outputs[0].source: node '10' is not in"),
        (COMFYUI, ('workflow = "workflow.json"', 'workflow = "missing.json"'), "cannot be read"),
        (COMFYUI, ('provider = "comfyui"', 'provider = "invokeai"'), "provider: Input should be"),
    ],
)
def test_provider_settings_are_checked(
    tmp_path: Path, toml: str, replace: tuple[str, str], problem: str
) -> None:
    (tmp_path / "workflow.json").write_text(WORKFLOW)
    message = refusal(models_file(tmp_path, toml.replace(*replace)))
    assert problem in message
    assert str(tmp_path / "models.toml") in message


@pytest.mark.parametrize(
    "workflow", ["[1, 2]", "{}", '{"6": {"inputs": {}}}', "not json", '{"6": {"class_type": "X"}}']
)
def test_a_workflow_not_in_api_format_is_refused(tmp_path: Path, workflow: str) -> None:
    (tmp_path / "workflow.json").write_text(workflow)
    message = refusal(models_file(tmp_path, COMFYUI))
    assert "model acme/sdxl: workflow:" in message

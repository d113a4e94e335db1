"""`check_input` on its own: types, validators, defaults, and every problem reported at once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from runflow.catalog.builtin import ECHO, IMG2VIDEO, TXT2IMG, UPSCALE
from runflow.catalog.declarations import SEED_MAX
from runflow.catalog.validation import InputCheck, InputDeclaration, check_input

PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
MP4_DATA_URI = "data:video/mp4;base64,AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDE="

# A fixed id: parameters must be the same in every process that collects the tests (xdist).
MEDIA_ID = "0f8e2c6a-5b1d-4c3e-9a7f-2d4b6e8a1c3f"


@dataclass(frozen=True)
class Declaration:
    """A hand-made input declaration, for types and validators no built-in model uses."""

    name: str
    variable_type_code: str
    validator_code: str | None = None
    validator_attrs: dict[str, Any] | None = None
    is_required: bool = False
    default_value: dict[str, Any] | None = None
    default_behavior_code: str | None = None


def one(variable_type_code: str, **options: Any) -> list[InputDeclaration]:
    return [Declaration("x", variable_type_code, **options)]


def accepts(declarations: Sequence[InputDeclaration], given: dict[str, Any]) -> InputCheck:
    check = check_input(declarations, given)
    assert check.errors == [], (given, check.errors)
    return check


def rejects(declarations: Sequence[InputDeclaration], given: dict[str, Any]) -> InputCheck:
    check = check_input(declarations, given)
    assert check.errors, given
    return check


def problem_at(check: InputCheck, *loc: str | int) -> dict[str, Any]:
    matching = [error for error in check.errors if error["loc"] == list(loc)]
    assert len(matching) == 1, check.errors
    error = matching[0]
    assert isinstance(error["msg"], str)
    assert error["msg"]
    return error


# --- variable types -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["hello", "", "ünïcödé ✓"])
def test_string_accepts_strings(value: str) -> None:
    assert accepts(one("string"), {"x": value}).value == {"x": value}


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], {"a": "b"}])
def test_string_rejects_non_strings(value: Any) -> None:
    assert problem_at(rejects(one("string"), {"x": value}), "x")["type"] == "type_error"


@pytest.mark.parametrize("value", [0, 7, -3, 2**40])
def test_integer_accepts_integers(value: int) -> None:
    assert accepts(one("integer"), {"x": value}).value == {"x": value}


@pytest.mark.parametrize("value", [True, False])
def test_integer_rejects_booleans(value: bool) -> None:
    assert problem_at(rejects(one("integer"), {"x": value}), "x")["type"] == "type_error"


@pytest.mark.parametrize("value", [5.0, 5.5, "5", [5], {"n": 5}])
def test_integer_rejects_floats_strings_and_others(value: Any) -> None:
    rejects(one("integer"), {"x": value})


@pytest.mark.parametrize("value", [1.5, 0.0, -2.25, 3])
def test_float_accepts_finite_numbers_including_integers(value: float) -> None:
    assert accepts(one("float"), {"x": value}).value == {"x": value}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_float_rejects_nan_and_infinity(value: float) -> None:
    assert problem_at(rejects(one("float"), {"x": value}), "x")["type"] == "type_error"


@pytest.mark.parametrize("value", [True, "1.5", [1.5]])
def test_float_rejects_booleans_and_strings(value: Any) -> None:
    rejects(one("float"), {"x": value})


@pytest.mark.parametrize("value", [True, False])
def test_boolean_accepts_booleans(value: bool) -> None:
    assert accepts(one("boolean"), {"x": value}).value == {"x": value}


@pytest.mark.parametrize("value", [0, 1, "true", "false", 1.0])
def test_boolean_rejects_numbers_and_strings(value: Any) -> None:
    assert problem_at(rejects(one("boolean"), {"x": value}), "x")["type"] == "type_error"


def test_enum_accepts_a_declared_choice() -> None:
    accepts(TXT2IMG.inputs, {"prompt": "p", "output_format": "webp"})


def test_enum_rejects_an_undeclared_choice() -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": "p", "output_format": "gif"})
    assert problem_at(check, "output_format")["type"] == "value_error"


def test_enum_rejects_a_non_string() -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": "p", "output_format": 1})
    assert problem_at(check, "output_format")["type"] == "type_error"


@pytest.mark.parametrize("value", [0, 42, SEED_MAX])
def test_seed_accepts_integers_from_0_to_2_pow_32_minus_1(value: int) -> None:
    assert accepts(TXT2IMG.inputs, {"prompt": "p", "seed": value}).value["seed"] == value


@pytest.mark.parametrize("value", [-1, SEED_MAX + 1, True, 1.0, "42"])
def test_seed_rejects_out_of_range_and_non_integers(value: Any) -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": "p", "seed": value})
    problem_at(check, "seed")


@pytest.mark.parametrize(
    "value",
    [
        MEDIA_ID,
        "https://example.com/cat.png",
        "https://cdn.example.com/a/b.jpg?sig=abc",
        PNG_DATA_URI,
        "data:image/jpeg;base64,/9j/4AAQSkZJRg==",
    ],
)
def test_image_accepts_a_media_id_an_https_url_or_an_image_data_uri(value: str) -> None:
    assert accepts(UPSCALE.inputs, {"image": value}).value["image"] == value


@pytest.mark.parametrize(
    "value",
    [
        "data:text/plain;base64,aGVsbG8=",
        "data:video/mp4;base64,AAAA",
        "data:,hello",
        "a cat",
        "not-a-uuid-at-all",
        "ftp://example.com/cat.png",
        "/etc/passwd",
        "",
        42,
        {"url": "https://example.com/cat.png"},
    ],
)
def test_image_rejects_other_data_uris_and_random_values(value: Any) -> None:
    assert problem_at(rejects(UPSCALE.inputs, {"image": value}), "image")["type"] == "type_error"


def test_image_rejects_a_plain_http_url() -> None:
    # DESIGN §9: images come in as an *https* URL, a data: URI or a media id.
    check = rejects(UPSCALE.inputs, {"image": "http://example.com/cat.png"})
    problem_at(check, "image")


@pytest.mark.parametrize("value", [MEDIA_ID, "https://example.com/clip.mp4", MP4_DATA_URI])
def test_video_accepts_a_media_id_an_https_url_or_a_video_data_uri(value: str) -> None:
    accepts(one("video"), {"x": value})


@pytest.mark.parametrize("value", [PNG_DATA_URI, "data:text/plain;base64,aGVsbG8=", "clip", 3])
def test_video_rejects_image_data_uris_and_random_values(value: Any) -> None:
    rejects(one("video"), {"x": value})


@pytest.mark.parametrize(
    "value", [{"a": [1, 2, {"b": None}]}, [1, "two", 3.0], "text", 12, 1.5, True, False]
)
def test_json_accepts_any_json_value(value: Any) -> None:
    assert accepts(one("json"), {"x": value}).value == {"x": value}


def test_unsupported_declared_type_is_reported_not_accepted() -> None:
    rejects(one("hologram"), {"x": "anything"})


# --- validators -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [64, 512, 2048])
def test_range_accepts_values_within_inclusive_bounds(width: int) -> None:
    accepts(TXT2IMG.inputs, {"prompt": "p", "width": width})


@pytest.mark.parametrize("width", [56, 0, -8, 2056, 4096])
def test_range_rejects_values_outside_bounds(width: int) -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": "p", "width": width})
    assert problem_at(check, "width")["type"] == "value_error"


def test_range_with_multiple_of_rejects_values_off_the_step() -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": "p", "width": 100})
    assert "multiple of 8" in problem_at(check, "width")["msg"]


@pytest.mark.parametrize(("zoom", "ok"), [(1.0, True), (2.0, True), (1.55, True), (2.01, False)])
def test_range_applies_to_floats(zoom: float, ok: bool) -> None:
    check = check_input(IMG2VIDEO.inputs, {"image": PNG_DATA_URI, "zoom": zoom})
    assert (check.errors == []) is ok, check.errors


@pytest.mark.parametrize("prompt", ["a", "x" * 2000])
def test_length_accepts_strings_within_bounds(prompt: str) -> None:
    accepts(TXT2IMG.inputs, {"prompt": prompt})


@pytest.mark.parametrize("prompt", ["", "x" * 2001])
def test_length_rejects_strings_outside_bounds(prompt: str) -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": prompt})
    assert problem_at(check, "prompt")["type"] == "value_error"


@pytest.mark.parametrize(("value", "ok"), [("abc", True), ("abc1", False), ("1abc", False)])
def test_regex_must_match_the_whole_string(value: str, ok: bool) -> None:
    declarations = one("string", validator_code="regex", validator_attrs={"pattern": "[a-z]+"})
    check = check_input(declarations, {"x": value})
    assert (check.errors == []) is ok, check.errors


@pytest.mark.parametrize(("scale", "ok"), [(2, True), (4, True), (3, False), (8, False)])
def test_choices_accepts_only_declared_values(scale: int, ok: bool) -> None:
    check = check_input(UPSCALE.inputs, {"image": PNG_DATA_URI, "scale": scale})
    assert (check.errors == []) is ok, check.errors


@pytest.mark.parametrize(("value", "ok"), [(0, True), (10, True), (-15, True), (12, False)])
def test_multiple_of_accepts_only_multiples(value: int, ok: bool) -> None:
    declarations = one("integer", validator_code="multiple_of", validator_attrs={"multiple_of": 5})
    check = check_input(declarations, {"x": value})
    assert (check.errors == []) is ok, check.errors


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        *[(0.5, True), (0.3, True), (0.7, True), (1.1, True), (2.0, True), (2, True)],
        *[(-0.6, True), (1e300, True)],
        *[(0.25, False), (0.30000000000000004, False), (1.05, False)],
    ],
)
def test_multiple_of_a_decimal_step_counts_as_written(value: float, ok: bool) -> None:
    """0.5 is a multiple of 0.1, though as binary floats 0.5 % 0.1 is 0.0999…"""
    declarations = one("float", validator_code="multiple_of", validator_attrs={"multiple_of": 0.1})
    check = check_input(declarations, {"x": value})
    assert (check.errors == []) is ok, check.errors


def test_unsupported_validator_is_reported_not_accepted() -> None:
    rejects(one("string", validator_code="telepathy", validator_attrs={}), {"x": "a"})


def test_a_wrong_type_is_reported_once_as_a_type_error() -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": "p", "width": "wide"})
    assert check.errors == [{"loc": ["width"], "msg": check.errors[0]["msg"], "type": "type_error"}]


# --- required, defaults, unknown names ------------------------------------------------------


def test_missing_required_input_is_reported() -> None:
    check = rejects(TXT2IMG.inputs, {})
    assert problem_at(check, "prompt")["type"] == "missing"


def test_null_for_a_required_input_is_reported_missing() -> None:
    check = rejects(TXT2IMG.inputs, {"prompt": None})
    assert problem_at(check, "prompt")["type"] == "missing"


def test_absent_inputs_get_their_declared_defaults() -> None:
    check = accepts(ECHO.inputs, {})
    assert check.value == {"message": "", "delay_ms": 0, "fail": False}


def test_null_for_an_optional_input_gets_its_default() -> None:
    assert accepts(ECHO.inputs, {"delay_ms": None}).value["delay_ms"] == 0


def test_given_values_override_defaults() -> None:
    check = accepts(ECHO.inputs, {"message": "hi", "delay_ms": 5, "fail": True})
    assert check.value == {"message": "hi", "delay_ms": 5, "fail": True}


def test_txt2img_defaults_are_filled_from_design() -> None:
    value = accepts(TXT2IMG.inputs, {"prompt": "a lighthouse"}).value
    assert value["width"] == 512
    assert value["height"] == 512
    assert value["steps"] == 20


def test_input_without_default_stays_absent() -> None:
    assert "fail_message" not in accepts(ECHO.inputs, {}).value


def test_omit_behaviour_leaves_the_input_absent_despite_a_default() -> None:
    declarations = one("integer", default_value={"value": 3}, default_behavior_code="omit")
    assert accepts(declarations, {}).value == {}


def test_use_default_behaviour_fills_a_null_default() -> None:
    declarations = one("json", default_value={"value": None}, default_behavior_code="use_default")
    assert accepts(declarations, {}).value == {"x": None}


def test_random_seed_default_is_an_integer_seed_in_range() -> None:
    for _ in range(50):
        seed = accepts(TXT2IMG.inputs, {"prompt": "p"}).value["seed"]
        assert type(seed) is int
        assert 0 <= seed <= SEED_MAX


def test_random_seed_defaults_differ_between_items() -> None:
    seeds = {accepts(TXT2IMG.inputs, {"prompt": "p"}).value["seed"] for _ in range(20)}
    assert len(seeds) > 1


def test_random_seed_default_validates_as_a_seed() -> None:
    seed = accepts(TXT2IMG.inputs, {"prompt": "p"}).value["seed"]
    accepts(TXT2IMG.inputs, {"prompt": "p", "seed": seed})


def test_unknown_input_name_is_reported() -> None:
    check = rejects(ECHO.inputs, {"mesage": "typo"})
    assert problem_at(check, "mesage")["type"] == "unknown_input"


def test_several_problems_in_one_item_are_all_reported() -> None:
    given = {"width": 65, "height": "tall", "steps": 0, "seed": -1, "bogus": 1}
    check = rejects(TXT2IMG.inputs, given)
    locs = sorted(error["loc"][0] for error in check.errors)
    assert locs == sorted(["prompt", "width", "height", "steps", "seed", "bogus"])


def test_errors_are_located_under_the_given_prefix() -> None:
    check = check_input(TXT2IMG.inputs, {"steps": 101}, ("body", "input", 3))
    locs = sorted(error["loc"] for error in check.errors)
    assert locs == [["body", "input", 3, "prompt"], ["body", "input", 3, "steps"]]


def test_errors_have_loc_msg_and_type() -> None:
    check = rejects(TXT2IMG.inputs, {"width": 1, "x": 1})
    for error in check.errors:
        assert set(error) == {"loc", "msg", "type"}


def test_validator_that_does_not_fit_the_type_is_reported_not_raised() -> None:
    declarations = one("string", validator_code="range", validator_attrs={"min": 1, "max": 5})
    assert problem_at(rejects(declarations, {"x": "abc"}), "x")["type"] == "value_error"

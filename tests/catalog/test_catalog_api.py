"""The model catalog over HTTP: the five built-ins with their declarations (DESIGN §8)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from runflow.app import create_app
from runflow.config import Settings
from runflow.kit.schemas import MONEY_PATTERN

BUILTIN_SLUGS = {"echo", "txt2img", "face-detect", "upscale", "img2video", "image-quality"}
MODEL_COLLECTIONS = ("inputs", "outputs", "pricing", "examples", "faq_entries", "related_links")
DECLARATION_FIELDS = (
    "variable_type_code",
    "validator_code",
    "validator_attrs",
    "is_required",
    "default_value",
    "default_behavior_code",
)


def declaration(
    variable_type_code: str,
    *,
    validator_code: str | None = None,
    validator_attrs: dict[str, Any] | None = None,
    is_required: bool = False,
    default_value: Any = None,
    default_behavior_code: str | None = None,
) -> dict[str, Any]:
    return {
        "variable_type_code": variable_type_code,
        "validator_code": validator_code,
        "validator_attrs": validator_attrs,
        "is_required": is_required,
        "default_value": default_value,
        "default_behavior_code": default_behavior_code,
    }


SIDE = declaration(
    "integer",
    validator_code="range",
    validator_attrs={"min": 64, "max": 2048, "multiple_of": 8},
    default_value=512,
    default_behavior_code="use_default",
)

TXT2IMG_INPUTS: dict[str, dict[str, Any]] = {
    "prompt": declaration(
        "string",
        validator_code="length",
        validator_attrs={"min_length": 1, "max_length": 2000},
        is_required=True,
    ),
    "negative_prompt": declaration(
        "string",
        validator_code="length",
        validator_attrs={"max_length": 2000},
        default_value="",
        default_behavior_code="use_default",
    ),
    "width": SIDE,
    "height": SIDE,
    "steps": declaration(
        "integer",
        validator_code="range",
        validator_attrs={"min": 1, "max": 100},
        default_value=20,
        default_behavior_code="use_default",
    ),
    "seed": declaration("seed", default_behavior_code="random_seed"),
    "output_format": declaration(
        "enum",
        validator_code="choices",
        validator_attrs={"values": ["png", "webp", "jpeg"]},
        default_value="png",
        default_behavior_code="use_default",
    ),
}


async def get_json(client: httpx.AsyncClient, path: str, auth: dict[str, str]) -> Any:
    response = await client.get(path, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def inputs_by_name(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in model["inputs"]}


async def test_list_models_returns_the_builtins_owned_by_runflow(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await get_json(client, "/v1/models", auth)
    builtins = [model for model in body["items"] if model["owner"] == "runflow"]
    assert sorted(model["slug"] for model in builtins) == sorted(BUILTIN_SLUGS)


async def test_list_models_includes_every_collection_of_each_model(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await get_json(client, "/v1/models", auth)
    assert body["items"]
    for model in body["items"]:
        for key in MODEL_COLLECTIONS:
            assert isinstance(model[key], list), (model["slug"], key)
        assert model["inputs"], model["slug"]
        assert model["outputs"], model["slug"]
        assert model["pricing"], model["slug"]


async def test_builtin_models_are_public_official_and_active(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await get_json(client, "/v1/models", auth)
    for model in body["items"]:
        assert model["is_public"] is True, model["slug"]
        assert model["is_official"] is True, model["slug"]
        assert model["status_code"] == "active", model["slug"]


async def test_get_model_returns_the_requested_model(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    model = await get_json(client, "/v1/models/runflow/txt2img", auth)
    assert (model["owner"], model["slug"]) == ("runflow", "txt2img")
    for key in MODEL_COLLECTIONS:
        assert isinstance(model[key], list), key


async def test_txt2img_declares_its_inputs_in_design_order(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    model = await get_json(client, "/v1/models/runflow/txt2img", auth)
    assert [row["name"] for row in model["inputs"]] == list(TXT2IMG_INPUTS)
    assert [row["sort_order"] for row in model["inputs"]] == list(range(len(TXT2IMG_INPUTS)))


async def test_txt2img_input_declarations_match_design(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    model = await get_json(client, "/v1/models/runflow/txt2img", auth)
    declared = {
        name: {field: row[field] for field in DECLARATION_FIELDS}
        for name, row in inputs_by_name(model).items()
    }
    assert declared == TXT2IMG_INPUTS


async def test_txt2img_width_is_an_integer_range_64_to_2048_multiple_of_8_default_512(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    width = inputs_by_name(await get_json(client, "/v1/models/runflow/txt2img", auth))["width"]
    assert width["variable_type_code"] == "integer"
    assert width["validator_code"] == "range"
    assert width["validator_attrs"] == {"min": 64, "max": 2048, "multiple_of": 8}
    assert width["default_value"] == 512
    assert width["is_required"] is False


async def test_txt2img_seed_defaults_to_a_random_seed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    seed = inputs_by_name(await get_json(client, "/v1/models/runflow/txt2img", auth))["seed"]
    assert seed["variable_type_code"] == "seed"
    assert seed["default_behavior_code"] == "random_seed"
    assert seed["default_value"] is None
    assert seed["is_required"] is False


async def test_txt2img_prompt_is_required(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    prompt = inputs_by_name(await get_json(client, "/v1/models/runflow/txt2img", auth))["prompt"]
    assert prompt["is_required"] is True
    assert prompt["default_value"] is None


async def test_every_builtin_declares_the_inputs_named_in_design(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    expected = {
        "echo": {"message", "delay_ms", "fail", "fail_message"},
        "txt2img": set(TXT2IMG_INPUTS),
        "face-detect": {"image", "min_face_size", "annotate"},
        "upscale": {"image", "scale", "output_format"},
        "img2video": {"image", "duration_s", "fps", "zoom", "output_format"},
    }
    for slug, names in expected.items():
        model = await get_json(client, f"/v1/models/runflow/{slug}", auth)
        assert names <= set(inputs_by_name(model)), slug


async def test_echo_input_declarations_match_design(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    inputs = inputs_by_name(await get_json(client, "/v1/models/runflow/echo", auth))
    assert inputs["message"]["variable_type_code"] == "string"
    assert inputs["message"]["default_value"] == ""
    assert inputs["delay_ms"]["variable_type_code"] == "integer"
    assert inputs["delay_ms"]["validator_code"] == "range"
    assert inputs["delay_ms"]["validator_attrs"] == {"min": 0, "max": 600000}
    assert inputs["delay_ms"]["default_value"] == 0
    assert inputs["fail"]["variable_type_code"] == "boolean"
    assert inputs["fail"]["default_value"] is False
    assert inputs["fail_message"]["variable_type_code"] == "string"
    assert not any(row["is_required"] for row in inputs.values())


async def test_image_models_require_an_image_input(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for slug in ("face-detect", "upscale", "img2video"):
        image = inputs_by_name(await get_json(client, f"/v1/models/runflow/{slug}", auth))["image"]
        assert image["variable_type_code"] == "image", slug
        assert image["is_required"] is True, slug


async def test_prices_are_decimal_strings_without_exponent(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await get_json(client, "/v1/models", auth)
    for model in body["items"]:
        for rule in model["pricing"]:
            assert isinstance(rule["price"], str), (model["slug"], rule["price"])
            assert re.fullmatch(MONEY_PATTERN, rule["price"]), rule["price"]
            assert "e" not in rule["price"].lower(), rule["price"]


async def test_builtin_prices_keep_their_exact_value(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    prices = {
        model["slug"]: [rule["price"] for rule in model["pricing"]]
        for model in (await get_json(client, "/v1/models", auth))["items"]
    }
    assert prices["echo"] == ["0.0001"]
    assert prices["txt2img"] == ["0.00005"]


async def test_unknown_model_is_404_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/models/runflow/no-such-model", headers=auth)
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == "NOT_FOUND"


async def test_unknown_owner_is_404_not_found(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/models/nobody/echo", headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_list_models_without_a_key_is_401_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/models")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == "UNAUTHORIZED"


async def test_get_model_without_a_key_is_401_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/models/runflow/echo")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_list_models_with_an_unknown_key_is_401_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Authorization": "Bearer rf_not_a_real_key_000000000000000000"}
    response = await client.get("/v1/models", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_restart_keeps_model_and_input_ids_stable(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await get_json(client, "/v1/models", auth)

    restarted = create_app(settings, migrate=False)
    async with restarted.router.lifespan_context(restarted):
        transport = httpx.ASGITransport(app=restarted, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://runflow.test") as http:
            after = await get_json(http, "/v1/models", auth)

    def identities(body: dict[str, Any]) -> dict[str, Any]:
        return {
            model["slug"]: {
                "id": model["id"],
                "inputs": {row["name"]: row["id"] for row in model["inputs"]},
                "outputs": {row["name"]: row["id"] for row in model["outputs"]},
            }
            for model in body["items"]
        }

    assert identities(after) == identities(before)


async def test_restart_does_not_duplicate_catalog_rows(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for _ in range(2):
        restarted = create_app(settings, migrate=False)
        async with restarted.router.lifespan_context(restarted):
            pass

    body = await get_json(client, "/v1/models", auth)
    assert len(body["items"]) == len(BUILTIN_SLUGS)
    for model in body["items"]:
        names = [row["name"] for row in model["inputs"]]
        assert len(names) == len(set(names)), model["slug"]
        assert len(model["pricing"]) == 1, model["slug"]
        assert len(model["examples"]) == len({row["title"] for row in model["examples"]})
        assert len(model["faq_entries"]) == len({row["question"] for row in model["faq_entries"]})

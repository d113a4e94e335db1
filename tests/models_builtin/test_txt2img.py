"""txt2img: deterministic, seed-sensitive, cache-friendly, a real picture of the asked size."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from runflow.models_builtin import txt2img
from runflow.models_builtin.flow import (
    Artifact,
    Cancelled,
    MemoryNodeCache,
    NodeContext,
    node_signature,
    run_flow,
)
from tests.models_builtin.synthetic import quiet_context
from tests.models_builtin.test_flow import RecordingObserver


def _inputs(**changes: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "",
        "width": 128,
        "height": 96,
        "steps": 6,
        "seed": 42,
        "output_format": "png",
    }
    return inputs | changes


def _image(**changes: Any) -> Artifact:
    result = run_flow(txt2img.FLOW, _inputs(**changes), quiet_context())
    images = result.files["images"]
    assert isinstance(images, list)
    return images[0]


def _signatures(inputs: dict[str, Any]) -> dict[str, str]:
    signatures: dict[str, str] = {}
    for node in txt2img.FLOW.nodes:
        signatures[node.key] = node_signature(node, inputs, signatures)
    return signatures


def test_same_inputs_give_identical_bytes() -> None:
    assert _image().data == _image().data


def test_another_seed_gives_another_image() -> None:
    assert _image(seed=42).data != _image(seed=43).data


def test_another_prompt_gives_another_image() -> None:
    assert _image(prompt="a green forest").data != _image(prompt="a red desert").data


def test_seed_change_keeps_encode_signature_and_changes_the_rest() -> None:
    first, second = _signatures(_inputs(seed=1)), _signatures(_inputs(seed=2))

    assert first["encode"] == second["encode"]
    for key in ("latent", "sample", "decode", "save"):
        assert first[key] != second[key]


def test_seed_only_rerun_serves_encode_from_cache() -> None:
    cache, observer = MemoryNodeCache(), RecordingObserver()
    run_flow(txt2img.FLOW, _inputs(seed=1), quiet_context(), cache=cache)

    run_flow(txt2img.FLOW, _inputs(seed=2), quiet_context(), cache=cache, observer=observer)

    assert observer.cached() == ["encode"]


@pytest.mark.parametrize(
    ("output_format", "pillow_format"), [("png", "PNG"), ("webp", "WEBP"), ("jpeg", "JPEG")]
)
def test_output_decodes_at_requested_size_and_format(
    output_format: str, pillow_format: str
) -> None:
    artifact = _image(width=136, height=72, output_format=output_format)

    with Image.open(io.BytesIO(artifact.data)) as image:
        assert image.format == pillow_format
        assert image.size == (136, 72)
    assert artifact.content_type == f"image/{output_format}"
    assert (artifact.width, artifact.height) == (136, 72)


def test_result_reports_megapixels_and_steps() -> None:
    result = run_flow(txt2img.FLOW, _inputs(width=200, height=100, steps=3), quiet_context())

    assert result.output == {}
    assert result.usage == {"output_megapixels": 0.02, "steps": 3}


def test_image_is_smooth_and_colourful_not_noise() -> None:
    pixels = np.asarray(Image.open(io.BytesIO(_image(width=256, height=256).data)), np.float32)

    neighbour_step = np.abs(np.diff(pixels, axis=1)).mean()
    spread = pixels.std(axis=(0, 1))
    assert neighbour_step < 3  # white noise would step by ~85 per pixel
    assert spread.max() > 20  # and it is not a flat fill either


def test_sample_reports_progress_once_per_step() -> None:
    messages: list[str] = []
    ctx = NodeContext(progress=lambda f, m: messages.append(m), should_stop=lambda: False)
    inputs = _inputs(steps=7)
    embedding = txt2img.encode(ctx, inputs["prompt"], inputs["negative_prompt"])
    noise = txt2img.latent(ctx, inputs["seed"], inputs["width"], inputs["height"])

    txt2img.sample(ctx, embedding, noise, 7)

    assert messages == [f"step {i}/7" for i in range(1, 8)]


def test_sample_stops_when_asked() -> None:
    calls: list[float] = []
    ctx = NodeContext(progress=lambda f, m: calls.append(f), should_stop=lambda: len(calls) >= 3)
    embedding = txt2img.encode(ctx, "a cat", "")
    noise = txt2img.latent(ctx, 1, 64, 64)

    with pytest.raises(Cancelled):
        txt2img.sample(ctx, embedding, noise, 20)
    assert len(calls) == 3


def test_negative_colour_word_moves_the_palette_away() -> None:
    ctx = quiet_context()
    plain = txt2img.encode(ctx, "a red rose", "")
    steered = txt2img.encode(ctx, "a red rose", "red")

    assert not np.allclose(plain[:4], steered[:4])

"""upscale: exact ×2 / ×4 sizes, the requested format, and refused oversized outputs."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from runflow.models_builtin import upscale
from runflow.models_builtin.flow import Artifact, ModelResult, run_flow
from runflow.models_builtin.imaging import InvalidImage, OutputTooLarge
from tests.models_builtin import synthetic
from tests.models_builtin.synthetic import quiet_context


def _upscale(image: bytes, **changes: Any) -> ModelResult:
    inputs = {"image": image, "scale": 2, "output_format": "png"} | changes
    return run_flow(upscale.FLOW, inputs, quiet_context())


def _artifact(result: ModelResult) -> Artifact:
    artifact = result.files["image"]
    assert isinstance(artifact, Artifact)
    return artifact


@pytest.mark.parametrize("scale", [2, 4])
def test_output_is_exactly_scale_times_the_input(scale: int) -> None:
    result = _upscale(synthetic.encode(synthetic.gradient(75, 41)), scale=scale)

    artifact = _artifact(result)
    with Image.open(io.BytesIO(artifact.data)) as image:
        assert image.size == (75 * scale, 41 * scale)
    assert (artifact.width, artifact.height) == (75 * scale, 41 * scale)
    assert result.usage == {"output_megapixels": 75 * scale * 41 * scale / 1e6}


@pytest.mark.parametrize(
    ("output_format", "pillow_format"), [("png", "PNG"), ("webp", "WEBP"), ("jpeg", "JPEG")]
)
def test_output_format_is_honoured(output_format: str, pillow_format: str) -> None:
    artifact = _artifact(
        _upscale(synthetic.encode(synthetic.gradient(40, 30)), output_format=output_format)
    )

    with Image.open(io.BytesIO(artifact.data)) as image:
        assert image.format == pillow_format
    assert artifact.content_type == f"image/{output_format}"


def test_upscaled_image_keeps_the_picture() -> None:
    source = synthetic.gradient(64, 48)

    artifact = _artifact(_upscale(synthetic.encode(source), scale=2))

    with Image.open(io.BytesIO(artifact.data)) as image:
        shrunk = np.asarray(image.resize((64, 48), Image.Resampling.BOX), dtype=np.int16)
    assert np.abs(shrunk - source.astype(np.int16)).mean() < 6


def test_any_decodable_format_is_accepted_as_input() -> None:
    jpeg = synthetic.encode(synthetic.gradient(30, 20), "JPEG")

    assert _artifact(_upscale(jpeg)).width == 60


def test_output_over_the_side_limit_is_refused() -> None:
    wide = synthetic.encode(np.zeros((8, 2100, 3), dtype=np.uint8))

    with pytest.raises(OutputTooLarge, match="8192 px per side"):
        _upscale(wide, scale=4)


def test_output_over_the_megapixel_limit_is_refused() -> None:
    square = synthetic.encode(np.zeros((1600, 1600, 3), dtype=np.uint8))

    with pytest.raises(OutputTooLarge, match="40 megapixels"):
        _upscale(square, scale=4)


def test_undecodable_bytes_raise_invalid_image() -> None:
    with pytest.raises(InvalidImage):
        _upscale(b"GIF89a but not really")

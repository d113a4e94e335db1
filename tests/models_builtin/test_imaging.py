"""Decoding inputs: any Pillow-readable mode becomes upright RGB; anything else is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from runflow.models_builtin.imaging import InvalidImage, decode_image
from tests.models_builtin import synthetic


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "I;16", "CMYK"])
def test_every_image_mode_decodes_to_rgb(mode: str) -> None:
    source = Image.fromarray(synthetic.gradient(20, 10)).convert(mode)
    buffer = io.BytesIO()
    source.save(buffer, "TIFF")

    pixels = decode_image(buffer.getvalue())

    assert pixels.shape == (10, 20, 3)
    assert pixels.dtype == np.uint8


def test_exif_orientation_is_applied() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to view
    Image.fromarray(synthetic.gradient(40, 20)).save(buffer, "JPEG", exif=exif)

    assert decode_image(buffer.getvalue()).shape == (40, 20, 3)


def test_truncated_image_is_invalid() -> None:
    data = synthetic.encode(synthetic.gradient(64, 64), "JPEG")

    with pytest.raises(InvalidImage, match="corrupt or truncated"):
        decode_image(data[: len(data) // 2])

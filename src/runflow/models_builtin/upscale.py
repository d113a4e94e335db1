"""Lanczos ×2 / ×4 upscaling followed by an unsharp mask."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from runflow.models_builtin import imaging
from runflow.models_builtin.flow import Artifact, Flow, ModelResult, Node, NodeContext
from runflow.models_builtin.imaging import Pixels, check_output_size, encode_image


def resize(ctx: NodeContext, load: Pixels, scale: int) -> Pixels:
    """Node: the image enlarged `scale` times with Lanczos resampling."""
    height, width = load.shape[:2]
    size = (width * scale, height * scale)
    # Checked before resampling, so an oversized request fails fast instead of eating memory.
    check_output_size(*size)
    enlarged = Image.fromarray(load).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(enlarged, dtype=np.uint8)


def sharpen(ctx: NodeContext, resize: Pixels, scale: int) -> Pixels:
    """Node: restore edge contrast that resampling softened."""
    # The blur radius follows the enlargement: ×4 spreads an edge over twice the pixels of ×2.
    mask = ImageFilter.UnsharpMask(radius=0.75 * scale, percent=80, threshold=2)
    return np.asarray(Image.fromarray(resize).filter(mask), dtype=np.uint8)


def save(ctx: NodeContext, sharpen: Pixels, output_format: str) -> Artifact:
    """Node: the image file."""
    return encode_image(sharpen, output_format)


def finish(inputs: dict[str, Any], outputs: dict[str, Any]) -> ModelResult:
    return ModelResult(
        output={},
        files={"image": outputs["save"]},
        usage={"output_megapixels": imaging.megapixels(outputs["sharpen"])},
    )


FLOW = Flow(
    nodes=(
        Node("load", "image.load.v1", imaging.load, literals=("image",)),
        Node("resize", "upscale.resize.v1", resize, ("scale",), ("load",), 3.0),
        Node("sharpen", "upscale.sharpen.v1", sharpen, ("scale",), ("resize",), 2.0),
        Node("save", "upscale.save.v1", save, ("output_format",), ("sharpen",), 2.0),
    ),
    finish=finish,
)

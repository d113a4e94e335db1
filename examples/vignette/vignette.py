"""A vignette filter, as an own Runflow model (`provider = "python"`).

`run(inputs, context)` receives the validated inputs — `image` already a `PIL.Image.Image` —
and returns a dict; the returned image becomes a media object and its signed URL.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    image: Image.Image = inputs["image"].convert("RGB")
    strength = float(inputs.get("strength", 0.5))
    width, height = image.size
    context.usage(input_megapixels=width * height / 1_000_000)
    context.progress(0.1, "computing the mask")

    # Distance of each pixel from the centre, 0 there and 1 in the corners.
    ys, xs = np.ogrid[:height, :width]
    dy = (ys - (height - 1) / 2) / (height / 2)
    dx = (xs - (width - 1) / 2) / (width / 2)
    distance = np.sqrt(dx * dx + dy * dy) / np.sqrt(2)
    mask = 1.0 - strength * np.clip(distance, 0.0, 1.0) ** 2

    pixels = np.asarray(image, dtype=np.float32) * mask[..., None]
    context.progress(0.9, "encoding")
    context.log("info", "vignette applied", width=width, height=height, strength=strength)
    return {"image": Image.fromarray(pixels.clip(0, 255).astype(np.uint8)), "strength": strength}

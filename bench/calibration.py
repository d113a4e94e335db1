"""The calibration set of the evaluations (issue 16): real photographs that scikit-image ships,
each degraded by nine families at four strengths.

Photographs are taken at viewing size (longer side 512 px), the size the measurements judge.
Every third photograph is held back as the test split.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import skimage.data
from numpy.typing import NDArray
from PIL import Image

from runflow.evaluations.issues import IssueCode
from runflow.evaluations.measures import Pixels, viewing_copy

# Photographs of scenes. Left out: textures, diagrams, microscopy without a scene, and
# `retina`, a fundus photograph that is orange-red all over (reported apart by the bench).
PHOTOS = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "motorcycle",
    "hubble_deep_field",
    "immunohistochemistry",
    "camera",
    "coins",
    "clock",
    "moon",
    "brick",
)
TEST_PHOTOS = PHOTOS[2::3]
TRAIN_PHOTOS = tuple(name for name in PHOTOS if name not in TEST_PHOTOS)


def photo(name: str) -> Pixels:
    """A sample photograph as 8-bit RGB at viewing size."""
    if name == "motorcycle":
        pixels = skimage.data.stereo_motorcycle()[0]  # type: ignore[no-untyped-call]
    else:
        pixels = getattr(skimage.data, name)()
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return viewing_copy(np.ascontiguousarray(pixels[..., :3], dtype=np.uint8))


def _clip(values: NDArray[np.float64]) -> Pixels:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _blur(pixels: Pixels, sigma: float) -> Pixels:
    return np.asarray(cv2.GaussianBlur(pixels, (0, 0), sigma), dtype=np.uint8)


def _noise(pixels: Pixels, sigma: float) -> Pixels:
    rng = np.random.default_rng(16)
    return _clip(pixels + rng.normal(0, sigma, pixels.shape))


def _jpeg(pixels: Pixels, quality: float) -> Pixels:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), dtype=np.uint8)


def _lift(pixels: Pixels, offset: float) -> Pixels:
    """Brightness up, as an editor's brightness slider: every tone lifted, blacks wash out.
    (A gain would not do: it correctly exposes a dark scene such as the Hubble field.)"""
    return _clip(pixels.astype(np.float64) + offset)


def _darken(pixels: Pixels, gain: float) -> Pixels:
    """Brightness down, as less light: every tone scaled down (exposure stops)."""
    return _clip(pixels.astype(np.float64) * gain)


def _shrink_contrast(pixels: Pixels, factor: float) -> Pixels:
    mean = pixels.mean(axis=(0, 1))
    return _clip(mean + (pixels - mean) * factor)


def _downscale(pixels: Pixels, factor: float) -> Pixels:
    height, width = pixels.shape[:2]
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _fill(pixels: Pixels, share: float) -> Pixels:
    """The top `share` of the picture painted over in its mean colour."""
    filled = pixels.copy()
    filled[: round(pixels.shape[0] * share)] = np.rint(pixels.reshape(-1, 3).mean(axis=0))
    return filled


def _cast(pixels: Pixels, amount: float) -> Pixels:
    """A tint: every pixel shifted towards the photograph's own dominant hue (warm for grey
    photographs), by `amount` of full scale — a coloured light or a wrong white balance."""
    means = pixels.reshape(-1, 3).mean(axis=0)
    direction = means - means.mean()
    norm = float(np.linalg.norm(direction))
    unit = direction / norm if norm > 1 else np.array([1.0, 0.0, -1.0]) / np.sqrt(2)
    return _clip(pixels.astype(np.float64) + 255 * amount * np.sqrt(2) * unit)


@dataclass(frozen=True)
class Family:
    name: str
    code: IssueCode
    degrade: Callable[[Pixels, float], Pixels]
    strengths: tuple[float, float, float, float]


FAMILIES = (
    Family("gaussian blur (σ px)", IssueCode.BLURRY, _blur, (1, 2, 3.5, 6)),
    Family("gaussian noise (σ levels)", IssueCode.NOISY, _noise, (5, 10, 18, 32)),
    Family("jpeg (quality)", IssueCode.COMPRESSION_ARTIFACTS, _jpeg, (60, 35, 15, 5)),
    Family("brightness up (+levels)", IssueCode.OVEREXPOSED, _lift, (40, 80, 120, 160)),
    Family("brightness down (gain)", IssueCode.UNDEREXPOSED, _darken, (0.75, 0.5, 0.3, 0.12)),
    Family(
        "contrast shrink (factor)", IssueCode.LOW_CONTRAST, _shrink_contrast, (0.7, 0.5, 0.3, 0.1)
    ),
    Family("downscale (1/x)", IssueCode.LOW_RESOLUTION, _downscale, (1.5, 2, 3, 4)),
    Family("uniform fill (share)", IssueCode.BLANK, _fill, (0.3, 0.55, 0.8, 1.0)),
    Family("colour cast (share)", IssueCode.COLOR_CAST, _cast, (0.08, 0.16, 0.28, 0.45)),
)

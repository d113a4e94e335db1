"""Test images drawn in code, encoded as the bytes a run receives."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from runflow.models_builtin.flow import NodeContext
from runflow.models_builtin.imaging import Pixels

# Colours of the face drawing, RGB; in grey they are about 120, 39, 177, 33 and 110.
_BACKGROUND = (120, 120, 120)
_HAIR = (55, 35, 20)
_SKIN = (215, 165, 135)
_FEATURE = (40, 30, 30)
_NOSE = (150, 95, 80)


def encode(pixels: Pixels, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, image_format)
    return buffer.getvalue()


def gradient(width: int, height: int) -> Pixels:
    """A smooth colour ramp with a diagonal edge, so resampling has something to do."""
    xs, ys = np.meshgrid(np.arange(width), np.arange(height))
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = xs * 255 // max(width - 1, 1)
    pixels[..., 1] = ys * 255 // max(height - 1, 1)
    pixels[..., 2] = np.where(xs > ys, 200, 40)
    return pixels


def flat_grey(width: int = 320, height: int = 240) -> Pixels:
    return np.full((height, width, 3), 128, dtype=np.uint8)


def face_cartoon(face_size: int = 200, margin: int = 60, *, features: bool = True) -> Pixels:
    """A frontal face in flat shapes: hair, a skin oval, dark brows, eyes and mouth, a nose.

    The Haar cascade keys on the dark eye band above lighter cheeks and the light bridge
    between the eyes. On a dark background a bare light oval already fools it, so the
    background is mid-grey and the hair gives the head its outline: without `features` the
    same drawing is not a face to the cascade.
    """
    side = face_size + 2 * margin
    pixels = np.full((side, side, 3), _BACKGROUND, dtype=np.uint8)
    unit = face_size / 300  # the drawing is laid out for a 300 px face

    def at(x: float, y: float) -> tuple[int, int]:
        return round(side / 2 + x * unit), round(side / 2 + y * unit)

    def axes(a: float, b: float) -> tuple[int, int]:
        return max(1, round(a * unit)), max(1, round(b * unit))

    cv2.ellipse(pixels, at(0, -20), axes(112, 135), 0, 180, 360, _HAIR, -1)
    cv2.ellipse(pixels, at(0, 0), axes(100, 130), 0, 0, 360, _SKIN, -1)
    if features:
        for eye_side in (-1, 1):
            cv2.ellipse(pixels, at(eye_side * 42, -35), axes(28, 7), 0, 0, 360, _FEATURE, -1)
            cv2.ellipse(pixels, at(eye_side * 40, -10), axes(26, 14), 0, 0, 360, _FEATURE, -1)
        cv2.ellipse(pixels, at(0, 35), axes(14, 8), 0, 0, 360, _NOSE, -1)
        cv2.ellipse(pixels, at(0, 75), axes(38, 10), 0, 0, 360, _FEATURE, -1)
    # A slight blur, as a camera would give, instead of hard aliased edges.
    return np.asarray(cv2.GaussianBlur(pixels, (0, 0), 2 * unit), dtype=np.uint8)


def quiet_context() -> NodeContext:
    return NodeContext(progress=lambda fraction, message: None, should_stop=lambda: False)

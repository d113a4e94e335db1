"""Decoding source images and encoding results, shared by the image and video models.

Errors (both `ValueError`: the input is at fault, retrying cannot help):

    InvalidImage      the bytes are not an image Pillow can decode
    OutputTooLarge    the requested output exceeds the size limits
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from runflow.models_builtin.flow import Artifact, NodeContext

Pixels = NDArray[np.uint8]
"""An RGB image as a (height, width, 3) array."""

IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
    "jpeg": ("JPEG", "image/jpeg"),
}

# Pillow's own decompression-bomb threshold, about 89 megapixels.
MAX_INPUT_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
MAX_OUTPUT_SIDE = 8192
MAX_OUTPUT_MEGAPIXELS = 40.0


class InvalidImage(ValueError):
    """The input bytes are not a decodable image."""


class OutputTooLarge(ValueError):
    """The output would exceed the size limits."""


@contextlib.contextmanager
def opened(data: bytes, refusal: type[InvalidImage] = InvalidImage) -> Iterator[Image.Image]:
    """The image in `data`, open; over `MAX_INPUT_PIXELS`, undecodable, corrupt or truncated
    bytes raise `refusal` with the reason, whether found on opening or while reading."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_INPUT_PIXELS:
                raise refusal(
                    f"the image is {width}×{height}; the limit is "
                    f"{MAX_INPUT_PIXELS / 1e6:.0f} megapixels"
                )
            yield image
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise refusal(f"the image could not be decoded: {error}") from error
    except Image.DecompressionBombWarning as error:
        # Only raised where warnings are errors; elsewhere the size check above refuses it.
        raise refusal(f"the image is too large to decode: {error}") from error
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, InvalidImage):
            raise
        # Truncated or corrupt files surface as these from Pillow's decoders.
        raise refusal(f"the image is corrupt or truncated: {error}") from error


def decode_image(data: bytes) -> Pixels:
    """Decode any Pillow-readable image to RGB, upright according to its EXIF orientation."""
    with opened(data) as image:
        rgb = ImageOps.exif_transpose(image).convert("RGB")
    return np.asarray(rgb, dtype=np.uint8)


def load(ctx: NodeContext, image: bytes) -> Pixels:
    """Node: the source image's pixels."""
    return decode_image(image)


def check_output_size(width: int, height: int) -> None:
    """Refuse outputs over `MAX_OUTPUT_SIDE` per side or `MAX_OUTPUT_MEGAPIXELS`."""
    megapixels = width * height / 1e6
    if max(width, height) > MAX_OUTPUT_SIDE or megapixels > MAX_OUTPUT_MEGAPIXELS:
        raise OutputTooLarge(
            f"the output would be {width}×{height} ({megapixels:.1f} megapixels); the limit is "
            f"{MAX_OUTPUT_SIDE} px per side and {MAX_OUTPUT_MEGAPIXELS:g} megapixels"
        )


def encode_image(pixels: Pixels, output_format: str) -> Artifact:
    """Encode an RGB array as PNG, WebP or JPEG."""
    pillow_format, content_type = IMAGE_FORMATS[output_format]
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if pillow_format == "PNG":
        # Level 6 is zlib's default trade-off; higher levels cost much more time for ~2 %.
        image.save(buffer, pillow_format, compress_level=6)
    else:
        image.save(buffer, pillow_format, quality=90)
    height, width = pixels.shape[:2]
    return Artifact(content_type, buffer.getvalue(), width=width, height=height)


def megapixels(pixels: Pixels) -> float:
    """Image area in megapixels, the unit of image pricing."""
    height, width = pixels.shape[:2]
    return float(width * height / 1e6)

"""What a file really is, judged from its bytes alone (never from a client's declaration).

Accepted: PNG, JPEG, WebP (still or animated) and GIF images, decoded in full so a truncated
or corrupt file is refused here rather than in a model; MP4 / QuickTime video, opened with
OpenCV to read its size and length. Everything else is refused with a `MediaRefused` whose
`reason` is one of `EMPTY`, `SVG`, `NOT_MEDIA`, `CORRUPT`, `TOO_LARGE`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
from PIL import Image, ImageSequence, UnidentifiedImageError

from runflow.models_builtin.imaging import MAX_INPUT_PIXELS

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# Pillow reports camera JPEGs that carry extra pictures (multi-picture format) as MPO.
_CONTENT_TYPES = {**IMAGE_FORMATS, "MPO": "image/jpeg"}
_VIDEO_BRANDS = {b"qt  ": "video/quicktime"}  # every other ftyp brand we open is MP4-family
_MAX_FRAMES = 10_000
_HEAD = 1024


class MediaRefused(ValueError):
    """The bytes are not media Runflow accepts; `reason` is a short UPPER_SNAKE code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class MediaInfo:
    content_type: str
    width: int | None
    height: int | None
    duration_ms: int | None = None

    @property
    def is_video(self) -> bool:
        """Moving pictures: a video file, or an animated image (which has a duration)."""
        return self.content_type.startswith("video/") or self.duration_ms is not None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _looks_like_markup(head: bytes) -> bool:
    """An SVG, possibly after an XML declaration, a doctype or comments (editors add them)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg", b"<!--")) and b"<svg" in text


def sniff(path: Path) -> MediaInfo:
    """Identify the file at `path`; raise `MediaRefused` unless it is an accepted image/video."""
    size = path.stat().st_size
    if size == 0:
        raise MediaRefused("EMPTY", "the file is empty")
    with path.open("rb") as file:
        head = file.read(_HEAD)
    if _looks_like_markup(head):
        raise MediaRefused(
            "SVG", "SVG images are not accepted: they can carry scripts. Send PNG, JPEG or WebP"
        )
    if head[4:8] == b"ftyp":
        return _sniff_video(path, head[8:12])
    return _sniff_image(path)


def _image_refusal(error: BaseException) -> MediaRefused:
    if isinstance(error, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return MediaRefused("TOO_LARGE", f"the image has too many pixels: {error}")
    return MediaRefused("CORRUPT", f"the image is truncated or corrupt: {error}")


def _sniff_image(path: Path) -> MediaInfo:
    try:
        with Image.open(path, formats=list(IMAGE_FORMATS)) as image:
            format_name = image.format or ""
            width, height = image.size
            if width * height > MAX_INPUT_PIXELS:
                raise MediaRefused(
                    "TOO_LARGE",
                    f"the image is {width}×{height}; the limit is "
                    f"{MAX_INPUT_PIXELS / 1e6:.0f} megapixels",
                )
            frames = getattr(image, "n_frames", 1)
            if frames > _MAX_FRAMES:
                raise MediaRefused("TOO_LARGE", f"the image has over {_MAX_FRAMES} frames")
            duration_ms = 0
            # Decode every frame: a file cut short fails here, not later inside a model.
            for frame in ImageSequence.Iterator(image):
                frame.load()
                duration_ms += int(frame.info.get("duration", 0) or 0)
        if format_name == "PNG":
            # `load` stops at the last image chunk; `verify` also checks every CRC up to IEND.
            with Image.open(path, formats=["PNG"]) as image:
                image.verify()
    except UnidentifiedImageError:
        raise MediaRefused(
            "NOT_MEDIA", "the bytes are not a PNG, JPEG, WebP or GIF image, or an MP4 video"
        ) from None
    except MediaRefused:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise _image_refusal(error) from None
    # Several frames are an animation, except in MPO, where they are stereo or preview pictures.
    animated = frames > 1 and format_name != "MPO"
    return MediaInfo(_CONTENT_TYPES[format_name], width, height, duration_ms if animated else None)


def _sniff_video(path: Path, brand: bytes) -> MediaInfo:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MediaRefused("CORRUPT", "the video is truncated or corrupt")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        fps = capture.get(cv2.CAP_PROP_FPS)
        readable, _ = capture.read()
    finally:
        capture.release()
    if not readable or width <= 0 or height <= 0 or frames <= 0:
        raise MediaRefused("CORRUPT", "the video is truncated or corrupt: no frame decodes")
    duration_ms = round(frames / fps * 1000) if fps > 0 and math.isfinite(fps) else None
    return MediaInfo(_VIDEO_BRANDS.get(brand, "video/mp4"), width, height, duration_ms)

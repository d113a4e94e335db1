"""What `runflow/image-quality` makes of awkward files: each is judged or refused clearly."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from runflow.models_builtin.flow import NodeContext
from runflow.models_builtin.image_quality import UnreadableImage, load

CONTEXT = NodeContext(progress=lambda fraction, message: None, should_stop=lambda: False)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds one empty data chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def _encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"plain text, not an image", "could not be decoded"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", "decoded"),
        (_png_header(20_000, 20_000), "bomb|megapixels"),
        (_png_header(0, 0), "decoded|corrupt|no pixels"),
    ],
    ids=["text", "svg", "png-bomb", "zero-pixels"],
)
def test_files_that_are_not_judgeable_images_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableImage, match=reason):
        load(CONTEXT, data)
    assert UnreadableImage.failure_code == "INVALID_IMAGE"


def test_a_truncated_png_is_refused() -> None:
    whole = _encoded(Image.fromarray(np.zeros((200, 300, 3), np.uint8) + 90), "PNG")
    with pytest.raises(UnreadableImage, match="corrupt or truncated"):
        load(CONTEXT, whole[: len(whole) // 2])


def test_an_animation_is_judged_on_its_first_frame() -> None:
    frames = [Image.new("RGB", (64, 64), (level, level, level)) for level in (10, 120, 240)]
    data = _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = load(CONTEXT, data)
    assert loaded["frames"] == 3
    assert int(loaded["pixels"].mean()) == 10


def test_cmyk_and_16_bit_images_are_seen_as_a_person_sees_them() -> None:
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red ink
    red = load(CONTEXT, _encoded(cmyk, "JPEG"))["pixels"]
    assert red[..., 0].mean() > 200
    assert red[..., 1].mean() < 60
    ramp = np.tile(np.linspace(0, 65535, 256, dtype=np.uint16), (16, 1))
    wide = load(CONTEXT, _encoded(Image.fromarray(ramp), "PNG"))
    assert wide["mode"].startswith("I")
    # Scaled, not clipped: the ramp still runs from black to white across the image.
    assert wide["pixels"][0, 0, 0] == 0
    assert wide["pixels"][0, -1, 0] == 255
    assert 100 < wide["pixels"].mean() < 155


def test_transparency_is_composited_over_white_and_a_single_pixel_loads() -> None:
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert load(CONTEXT, _encoded(clear, "PNG"))["pixels"].min() == 255
    assert load(CONTEXT, _encoded(Image.new("RGB", (1, 1)), "PNG"))["pixels"].shape == (1, 1, 3)

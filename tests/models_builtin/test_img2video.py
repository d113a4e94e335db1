"""img2video: browser-playable MP4 and animated WebP with the asked number of frames."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image
from PIL.WebPImagePlugin import WebPImageFile

from runflow.models_builtin import img2video
from runflow.models_builtin.flow import Artifact, Cancelled, ModelResult, NodeContext, run_flow
from tests.models_builtin import synthetic
from tests.models_builtin.synthetic import quiet_context


def _video(source: np.ndarray[Any, Any] | None = None, **changes: Any) -> ModelResult:
    pixels = synthetic.gradient(160, 120) if source is None else source
    inputs = {
        "image": synthetic.encode(pixels),
        "duration_s": 1.0,
        "fps": 8,
        "zoom": 1.3,
        "output_format": "mp4",
    }
    return run_flow(img2video.FLOW, inputs | changes, quiet_context())


def _artifact(result: ModelResult) -> Artifact:
    artifact = result.files["video"]
    assert isinstance(artifact, Artifact)
    return artifact


@dataclass(frozen=True)
class _VideoStream:
    """What a decoder reads back from the MP4's video stream."""

    codec: str
    codec_tag: str
    pix_fmt: str | None
    average_rate: Fraction | None
    duration_s: float
    decoded_frames: int


def _probe(data: bytes) -> _VideoStream:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        assert stream.duration is not None
        assert stream.time_base is not None
        decoded = sum(1 for _ in container.decode(stream))
        return _VideoStream(
            codec=stream.codec_context.name,
            codec_tag=stream.codec_tag,
            pix_fmt=stream.codec_context.pix_fmt,
            average_rate=stream.average_rate,
            duration_s=float(stream.duration * stream.time_base),
            decoded_frames=decoded,
        )


def _top_level_boxes(data: bytes) -> list[bytes]:
    """Types of the MP4's top-level boxes in file order: each is a 4-byte size, then its type."""
    boxes: list[bytes] = []
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if size == 1:  # the real size is 64-bit, right after the type
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:  # the box runs to the end of the file
            size = len(data) - offset
        assert size >= 8, f"box {kind!r} at {offset} has size {size}"
        boxes.append(kind)
        offset += size
    assert offset == len(data)
    return boxes


def test_mp4_is_an_iso_bmff_file_with_every_frame() -> None:
    artifact = _artifact(_video(duration_s=2.0, fps=8))

    assert artifact.data[4:8] == b"ftyp"
    assert artifact.content_type == "video/mp4"
    assert _probe(artifact.data).decoded_frames == 16
    assert (artifact.width, artifact.height, artifact.duration_ms) == (160, 120, 2000)


def test_mp4_is_h264_avc1_in_yuv420p_as_browsers_play_it() -> None:
    stream = _probe(_artifact(_video()).data)

    assert (stream.codec, stream.codec_tag, stream.pix_fmt) == ("h264", "avc1", "yuv420p")


def test_mp4_index_comes_before_the_media_so_playback_starts_early() -> None:
    boxes = _top_level_boxes(_artifact(_video()).data)

    assert boxes[0] == b"ftyp"
    assert boxes.count(b"moov") == 1
    assert boxes.count(b"mdat") == 1
    assert boxes.index(b"moov") < boxes.index(b"mdat")


def test_mp4_plays_at_the_asked_rate_for_frames_over_fps_seconds() -> None:
    stream = _probe(_artifact(_video(duration_s=1.5, fps=10)).data)

    assert stream.decoded_frames == 15
    assert stream.average_rate == 10
    assert stream.duration_s == pytest.approx(1.5)


def test_webp_is_animated_with_duration_times_fps_frames() -> None:
    artifact = _artifact(_video(duration_s=1.5, fps=10, output_format="webp"))

    assert artifact.content_type == "image/webp"
    with Image.open(io.BytesIO(artifact.data)) as image:
        assert isinstance(image, WebPImageFile)
        assert image.is_animated
        assert image.n_frames == 15
        assert image.info["loop"] == 0
    assert artifact.duration_ms == 1500


def test_webp_frame_durations_add_up_to_the_video_length() -> None:
    durations = img2video._frame_durations_ms(36, 12)

    assert sum(durations) == 3000
    assert set(durations) <= {83, 84}


def test_long_side_is_capped_and_sides_are_even() -> None:
    artifact = _artifact(_video(synthetic.gradient(2001, 777), duration_s=1.0, fps=6))

    assert artifact.width == 1024
    assert artifact.height is not None
    assert artifact.height % 2 == 0
    assert abs(artifact.height - round(777 * 1024 / 2001)) <= 1


def test_odd_sized_small_image_becomes_even() -> None:
    artifact = _artifact(_video(synthetic.gradient(101, 75), duration_s=1.0, fps=6))

    assert (artifact.width, artifact.height) == (100, 74)


def test_first_frame_is_the_whole_image_and_the_last_is_zoomed_in() -> None:
    ctx = quiet_context()
    source = synthetic.gradient(200, 100)

    frames = img2video.frames(ctx, source, duration_s=1.0, fps=6, zoom=2.0)

    assert frames.shape == (6, 100, 200, 3)
    assert np.abs(frames[0].astype(int) - source.astype(int)).max() <= 1
    # Zoomed ×2, the red ramp across the last frame spans about half the source's range.
    red_span = int(frames[-1][50, -1, 0]) - int(frames[-1][50, 0, 0])
    assert 100 < red_span < 150


def test_frames_report_progress_per_frame_and_stop_when_asked() -> None:
    seen: list[str] = []
    ctx = NodeContext(progress=lambda f, m: seen.append(m), should_stop=lambda: len(seen) >= 4)

    with pytest.raises(Cancelled):
        img2video.frames(ctx, synthetic.gradient(64, 48), duration_s=2.0, fps=6, zoom=1.3)
    assert seen == ["frame 1/12", "frame 2/12", "frame 3/12", "frame 4/12"]


def test_usage_is_output_seconds() -> None:
    assert _video(duration_s=1.5).usage == {"output_seconds": 1.5}

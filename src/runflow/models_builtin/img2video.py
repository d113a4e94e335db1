"""Pan-and-zoom ("Ken Burns") video from one still, as H.264 MP4 or animated WebP."""

from __future__ import annotations

import io
import itertools
import tempfile
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from runflow.models_builtin import imaging
from runflow.models_builtin.flow import Artifact, Flow, ModelResult, Node, NodeContext
from runflow.models_builtin.imaging import Pixels

Frames = NDArray[np.uint8]
"""RGB frames as a (count, height, width, 3) array."""

MAX_SIDE = 1024
# The camera drifts this share of the spare margin, right and slightly up, while zooming in.
_PAN = (0.5, -0.25)


def frame_count(duration_s: float, fps: int) -> int:
    """Frames in a video of `duration_s` seconds at `fps`."""
    return max(1, round(duration_s * fps))


def _fit(source: Pixels) -> Pixels:
    """Shrink so the long side is at most `MAX_SIDE`, with even sides as video codecs need."""
    height, width = source.shape[:2]
    ratio: float = min(1.0, MAX_SIDE / max(width, height))

    def even(side: int) -> int:
        return max(2, min(side // 2 * 2, round(side * ratio / 2) * 2))

    size = (even(width), even(height))
    if size == (width, height):
        return source
    return np.asarray(cv2.resize(source, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def frames(ctx: NodeContext, load: Pixels, duration_s: float, fps: int, zoom: float) -> Frames:
    """Node: every frame, zooming from 1.0 to `zoom` with an eased drift."""
    source = _fit(load)
    height, width = source.shape[:2]
    count = frame_count(duration_s, fps)
    out = np.empty((count, height, width, 3), dtype=np.uint8)
    for i in range(count):
        ctx.check_stop()
        t = i / (count - 1) if count > 1 else 1.0
        eased = t * t * (3 - 2 * t)  # smoothstep: the camera starts and stops gently
        scale = 1.0 + (zoom - 1.0) * eased
        # Centre of the view in the source; the spare margin grows as the view narrows.
        spare_x, spare_y = width * (1 - 1 / scale) / 2, height * (1 - 1 / scale) / 2
        centre_x = width / 2 + _PAN[0] * spare_x * eased
        centre_y = height / 2 + _PAN[1] * spare_y * eased
        # Affine map from source to frame: scale about the view centre, then recentre.
        matrix = np.array(
            [
                [scale, 0.0, width / 2 - scale * centre_x],
                [0.0, scale, height / 2 - scale * centre_y],
            ]
        )
        out[i] = cv2.warpAffine(
            source, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        ctx.progress((i + 1) / count, f"frame {i + 1}/{count}")
    return out


def _frame_durations_ms(count: int, fps: int) -> list[int]:
    # Rounded per frame but cumulatively, so the total stays count / fps seconds.
    edges = [round(i * 1000 / fps) for i in range(count + 1)]
    return [b - a for a, b in itertools.pairwise(edges)]


def _mp4(ctx: NodeContext, frames: Frames, fps: int) -> bytes:
    """H.264 MP4 that browsers' `<video>` plays: 4:2:0 chroma, and the index before the media."""
    height, width = frames.shape[1:3]
    with tempfile.TemporaryDirectory(prefix="runflow-video-") as folder:
        path = Path(folder) / "video.mp4"
        # faststart moves the index (moov) ahead of the media (mdat) so playback can start
        # before the whole file has arrived; the muxer does it by rereading the finished
        # file, hence a file on disk rather than a memory buffer.
        with av.open(
            str(path), "w", format="mp4", container_options={"movflags": "+faststart"}
        ) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = width, height
            # PyAV's default today, said outright: browsers decode H.264 in 4:2:0 only.
            stream.pix_fmt = "yuv420p"
            for i, frame in enumerate(frames):
                ctx.check_stop()
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
                ctx.progress((i + 1) / len(frames), f"encoded {i + 1}/{len(frames)}")
            container.mux(stream.encode())  # the frames the encoder held back to look ahead
        return path.read_bytes()


def _webp(frames: Frames, fps: int) -> bytes:
    images = [Image.fromarray(frame) for frame in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=images[1:],
        duration=_frame_durations_ms(len(images), fps),
        loop=0,
        quality=80,
        method=2,  # WebP's slower methods shrink files a little for several times the time
    )
    return buffer.getvalue()


def encode(ctx: NodeContext, frames: Frames, fps: int, output_format: str) -> Artifact:
    """Node: the video file."""
    count, height, width = frames.shape[:3]
    if output_format == "mp4":
        data, content_type = _mp4(ctx, frames, fps), "video/mp4"
    else:
        data, content_type = _webp(frames, fps), "image/webp"
    duration_ms = round(count * 1000 / fps)
    return Artifact(content_type, data, width=width, height=height, duration_ms=duration_ms)


def finish(inputs: dict[str, Any], outputs: dict[str, Any]) -> ModelResult:
    return ModelResult(
        output={},
        files={"video": outputs["encode"]},
        usage={"output_seconds": float(inputs["duration_s"])},
    )


FLOW = Flow(
    nodes=(
        Node("load", "image.load.v1", imaging.load, literals=("image",)),
        Node("frames", "img2video.frames.v1", frames, ("duration_s", "fps", "zoom"), ("load",), 4),
        Node("encode", "img2video.encode.v1", encode, ("fps", "output_format"), ("frames",), 4),
    ),
    finish=finish,
)

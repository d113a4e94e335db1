"""Takes a video as a local file; returns it as a `Path`, and a PNG as `bytes`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image


def run(inputs: dict[str, Any], context: Any) -> dict[str, Any]:
    video: Path = inputs["video"]
    thumbnail = io.BytesIO()
    Image.new("RGB", (10, 20), "blue").save(thumbnail, format="PNG")
    return {
        "is_path": isinstance(video, Path),
        "size_bytes": video.stat().st_size,
        "suffix": video.suffix,
        "video": video,
        "thumbnail": thumbnail.getvalue(),
    }

"""Face detection with OpenCV's frontal-face Haar cascade."""

from __future__ import annotations

import threading
from typing import Any

import cv2
from cv2 import data as cv2_data

from runflow.models_builtin import imaging
from runflow.models_builtin.flow import Artifact, Flow, ModelResult, Node, NodeContext
from runflow.models_builtin.imaging import Pixels, encode_image

CASCADE_FILE = "haarcascade_frontalface_default.xml"
_BOX_COLOUR = (0, 255, 0)

# A CascadeClassifier is not safe to share between threads; runs execute in a worker pool.
_per_thread = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    cascade: cv2.CascadeClassifier | None = getattr(_per_thread, "cascade", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(cv2_data.haarcascades + CASCADE_FILE)
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load {CASCADE_FILE}")
        _per_thread.cascade = cascade
    return cascade


def detect(ctx: NodeContext, load: Pixels, min_face_size: int) -> list[dict[str, int]]:
    """Node: face boxes as {x, y, width, height}, top to bottom then left to right."""
    grey = cv2.equalizeHist(cv2.cvtColor(load, cv2.COLOR_RGB2GRAY))
    boxes = _cascade().detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_face_size, min_face_size)
    )
    faces = [{"x": int(x), "y": int(y), "width": int(w), "height": int(h)} for x, y, w, h in boxes]
    return sorted(faces, key=lambda face: (face["y"], face["x"]))


def annotate(
    ctx: NodeContext, load: Pixels, detect: list[dict[str, int]], annotate: bool
) -> Artifact | None:
    """Node: the image with a box around each face, when asked for."""
    if not annotate:
        return None
    drawn = load.copy()
    thickness = max(2, round(max(drawn.shape[:2]) / 300))
    for face in detect:
        corner = (face["x"] + face["width"], face["y"] + face["height"])
        cv2.rectangle(drawn, (face["x"], face["y"]), corner, _BOX_COLOUR, thickness)
    return encode_image(drawn, "png")


def finish(inputs: dict[str, Any], outputs: dict[str, Any]) -> ModelResult:
    faces: list[dict[str, int]] = outputs["detect"]
    image: Artifact | None = outputs["annotate"]
    return ModelResult(
        output={"faces": faces, "count": len(faces)},
        files={"image": image} if image is not None else {},
        usage={"input_megapixels": imaging.megapixels(outputs["load"])},
    )


FLOW = Flow(
    nodes=(
        Node("load", "image.load.v1", imaging.load, literals=("image",)),
        Node("detect", "face-detect.detect.v1", detect, ("min_face_size",), ("load",), 4.0),
        Node("annotate", "face-detect.annotate.v1", annotate, ("annotate",), ("load", "detect")),
    ),
    finish=finish,
)

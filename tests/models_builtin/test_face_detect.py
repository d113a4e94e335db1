"""face-detect: real Haar-cascade detections on drawn test images."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from runflow.models_builtin import face_detect
from runflow.models_builtin.flow import ModelResult, run_flow
from runflow.models_builtin.imaging import InvalidImage, Pixels
from tests.models_builtin import synthetic
from tests.models_builtin.synthetic import quiet_context


def _detect(pixels: Pixels, **changes: Any) -> ModelResult:
    inputs = {"image": synthetic.encode(pixels), "min_face_size": 24, "annotate": True}
    return run_flow(face_detect.FLOW, inputs | changes, quiet_context())


def test_flat_grey_image_has_no_faces() -> None:
    result = _detect(synthetic.flat_grey())

    assert result.output == {"faces": [], "count": 0}


def test_head_without_eyes_nose_and_mouth_is_not_a_face() -> None:
    # The control for the drawn face: the detection below is due to the facial features.
    assert _detect(synthetic.face_cartoon(200, features=False)).output["count"] == 0


@pytest.mark.parametrize("face_size", [100, 200, 320])
def test_drawn_face_is_detected_around_the_head(face_size: int) -> None:
    pixels = synthetic.face_cartoon(face_size)
    centre = pixels.shape[1] / 2

    result = _detect(pixels)

    assert result.output["count"] == 1
    (face,) = result.output["faces"]
    assert set(face) == {"x", "y", "width", "height"}
    assert abs(face["x"] + face["width"] / 2 - centre) < face_size / 5
    assert abs(face["y"] + face["height"] / 2 - centre) < face_size / 5
    assert face_size / 2 < face["width"] < face_size * 1.2


def test_faces_are_listed_top_to_bottom_then_left_to_right() -> None:
    face = synthetic.face_cartoon(160, margin=40)
    row = np.concatenate([face, face], axis=1)
    pixels = np.concatenate([row, np.concatenate([face, face], axis=1)], axis=0)

    faces = _detect(pixels).output["faces"]

    assert len(faces) == 4
    assert faces == sorted(faces, key=lambda f: (f["y"], f["x"]))
    tile = face.shape[0]
    rows = [(f["y"] + f["height"] // 2) // tile for f in faces]
    columns = sorted((f["x"] + f["width"] // 2) // tile for f in faces[:2])
    assert rows == [0, 0, 1, 1]
    assert columns == [0, 1]


def test_faces_smaller_than_min_face_size_are_ignored() -> None:
    result = _detect(synthetic.face_cartoon(200), min_face_size=400)

    assert result.output["count"] == 0


def test_annotated_image_is_a_png_of_the_input_size_with_boxes() -> None:
    pixels = synthetic.face_cartoon(200)

    result = _detect(pixels)

    annotated = result.files["image"]
    assert not isinstance(annotated, list)
    assert annotated.content_type == "image/png"
    with Image.open(io.BytesIO(annotated.data)) as image:
        drawn = np.asarray(image.convert("RGB"))
    assert drawn.shape == pixels.shape
    green = (drawn[..., 1] == 255) & (drawn[..., 0] == 0) & (drawn[..., 2] == 0)
    assert green.any()


def test_annotate_false_returns_no_file() -> None:
    result = _detect(synthetic.face_cartoon(200), annotate=False)

    assert result.files == {}
    assert result.output["count"] == 1


def test_usage_is_input_megapixels() -> None:
    result = _detect(synthetic.flat_grey(400, 250))

    assert result.usage == {"input_megapixels": 0.1}


@pytest.mark.parametrize(
    "data", [b"", b"not an image", synthetic.encode(synthetic.flat_grey())[:60]]
)
def test_undecodable_bytes_raise_invalid_image(data: bytes) -> None:
    inputs = {"image": data, "min_face_size": 24, "annotate": True}

    with pytest.raises(InvalidImage):
        run_flow(face_detect.FLOW, inputs, quiet_context())

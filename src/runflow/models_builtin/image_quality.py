"""`runflow/image-quality`: the measurements and verdict of an evaluation (DESIGN §14).

An evaluation is a run of this model, so a batch on it evaluates up to 100 images.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageOps

from runflow.evaluations import measures
from runflow.evaluations.issues import IssueCode
from runflow.evaluations.measures import Measurements, Pixels
from runflow.evaluations.nsfw import nsfw_probability
from runflow.evaluations.verdict import Criteria, judge
from runflow.models_builtin import imaging
from runflow.models_builtin.flow import Flow, ModelResult, Node, NodeContext
from runflow.models_builtin.imaging import InvalidImage


class UnreadableImage(InvalidImage):
    """The evaluated bytes are not an image this model can judge."""

    failure_code = "INVALID_IMAGE"


def load(ctx: NodeContext, image: bytes) -> dict[str, Any]:
    """Node: the pixels to judge (the first frame of an animation), 8-bit RGB, and what the
    source was, so the metrics can say it."""
    with imaging.opened(image, UnreadableImage) as source:
        frames = int(getattr(source, "n_frames", 1))
        source.seek(0)
        mode = source.mode
        pixels = _rgb(ImageOps.exif_transpose(source))
    if pixels.size == 0:
        raise UnreadableImage("the image has no pixels")
    return {"pixels": pixels, "frames": frames, "mode": mode}


def _rgb(image: Image.Image) -> Pixels:
    """8-bit RGB as a person would see it: 16-bit and float images scaled (not clipped) to
    8 bits, transparency composited over white, CMYK and palettes converted."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or wide.max() > 255 else 255.0
        grey = np.clip(np.rint(wide / top * 255), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode == "F":
        grey = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255)
        return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.uint8)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def measure_node(ctx: NodeContext, load: dict[str, Any]) -> Measurements:
    """Node: the quality measurements."""
    return measures.measure(load["pixels"])


def nsfw(ctx: NodeContext, load: dict[str, Any]) -> float:
    """Node: the NSFW classifier's probability."""
    return nsfw_probability(Image.fromarray(load["pixels"]))


def judge_node(
    ctx: NodeContext,
    measure: Measurements,
    nsfw: float,
    min_score: float,
    min_width: int,
    min_height: int,
    ignore: str,
) -> dict[str, Any]:
    """Node: the verdict under the caller's criteria."""
    criteria = Criteria(
        min_score=min_score,
        min_width=min_width or None,
        min_height=min_height or None,
        ignore=frozenset(IssueCode(code) for code in ignore.split(",") if code),
    )
    verdict = judge(measure, nsfw, criteria)
    return {
        "passed": verdict.passed,
        "score": verdict.score,
        "issues": [issue.as_json() for issue in verdict.issues],
    }


def finish(inputs: dict[str, Any], outputs: dict[str, Any]) -> ModelResult:
    loaded = outputs["load"]
    measured: Measurements = outputs["measure"]
    metrics: dict[str, Any] = {
        **measured.as_metrics(),
        "nsfw_probability": round(outputs["nsfw"], 4),
        # An animation is judged on its first frame; `frames` says there were more.
        "frames": loaded["frames"],
        "source_mode": loaded["mode"],
    }
    return ModelResult(
        output={**outputs["judge"], "metrics": metrics},
        files={},
        usage={"input_megapixels": measured.megapixels},
    )


FLOW = Flow(
    nodes=(
        Node("load", "image-quality.load.v1", load, literals=("image",)),
        Node("measure", "image-quality.measure.v1", measure_node, upstream=("load",), weight=3),
        Node("nsfw", "image-quality.nsfw.v1", nsfw, upstream=("load",), weight=3),
        Node(
            "judge",
            "image-quality.judge.v1",
            judge_node,
            literals=("min_score", "min_width", "min_height", "ignore"),
            upstream=("measure", "nsfw"),
        ),
    ),
    finish=finish,
)

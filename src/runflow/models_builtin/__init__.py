"""The built-in image and video models (DESIGN §8), each a `Flow` of cacheable nodes.

`echo` is not here: it has no nodes and no media, so the engine answers it directly.
"""

from __future__ import annotations

from runflow.models_builtin import face_detect, image_quality, img2video, txt2img, upscale
from runflow.models_builtin.flow import (
    Artifact,
    Cancelled,
    Flow,
    FlowObserver,
    MemoryNodeCache,
    ModelResult,
    Node,
    NodeCache,
    NodeContext,
    node_signature,
    run_flow,
)
from runflow.models_builtin.imaging import InvalidImage, OutputTooLarge

FLOWS: dict[str, Flow] = {
    "txt2img": txt2img.FLOW,
    "face-detect": face_detect.FLOW,
    "upscale": upscale.FLOW,
    "img2video": img2video.FLOW,
    "image-quality": image_quality.FLOW,
}

__all__ = [
    "FLOWS",
    "Artifact",
    "Cancelled",
    "Flow",
    "FlowObserver",
    "InvalidImage",
    "MemoryNodeCache",
    "ModelResult",
    "Node",
    "NodeCache",
    "NodeContext",
    "OutputTooLarge",
    "node_signature",
    "run_flow",
]

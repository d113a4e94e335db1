"""The built-in image and video models (DESIGN §8), each a `Flow` of cacheable nodes.

`echo` is not here: it has no nodes and no media, so the engine answers it directly.

The flows are imported when the engine first asks for them (`builtin_flows`): their libraries
(SciPy, scikit-image, OpenCV) take a second or more to import, which a command that runs no
model — `runflow keys create`, `credits grant`, an API process without an engine — need not pay.
"""

from __future__ import annotations

import functools
import importlib

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

# Model slug → the module that defines its `FLOW`.
_MODULES = {
    "txt2img": "txt2img",
    "face-detect": "face_detect",
    "upscale": "upscale",
    "img2video": "img2video",
    "image-quality": "image_quality",
}


@functools.cache
def builtin_flows() -> dict[str, Flow]:
    """Each built-in model's flow, by slug (imported on the first call)."""
    flows: dict[str, Flow] = {}
    for slug, module in _MODULES.items():
        flows[slug] = importlib.import_module(f"{__name__}.{module}").FLOW
    return flows


__all__ = [
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
    "builtin_flows",
    "node_signature",
    "run_flow",
]

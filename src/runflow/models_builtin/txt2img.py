"""Deterministic procedural text-to-image, shaped like a diffusion pipeline.

The prompt is hashed into an embedding that fixes a palette and a set of wave fields; sampling
moves the seed's noise toward that scene with a DDIM-style schedule, and the noise also warps
the scene, so each seed gives a different composition of the same prompt.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import re
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from runflow.models_builtin.flow import Artifact, Flow, ModelResult, Node, NodeContext
from runflow.models_builtin.imaging import Pixels, encode_image

Vector = NDArray[np.float32]
Latent = NDArray[np.float32]
"""A (height / 8, width / 8, 4) array: three colour channels and one shading channel."""

EMBEDDING_SIZE = 64
LATENT_SCALE = 8
_PALETTE_SIZE = 4
_WAVES = 3

# Colour words steer the palette; every other word only moves the hashed part.
_HUES = {
    "red": 0.0, "crimson": 0.97, "sunset": 0.04, "orange": 0.08, "autumn": 0.07,
    "gold": 0.12, "golden": 0.12, "desert": 0.1, "yellow": 0.15, "green": 0.33,
    "forest": 0.3, "jungle": 0.35, "teal": 0.48, "ocean": 0.55, "sea": 0.54,
    "sky": 0.57, "blue": 0.61, "ice": 0.53, "night": 0.66, "dusk": 0.8,
    "purple": 0.77, "violet": 0.75, "pink": 0.92, "rose": 0.95,
}  # fmt: skip


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _bag_of_words(words: list[str]) -> Vector:
    total = np.zeros(EMBEDDING_SIZE, dtype=np.float32)
    for word in words:
        digest = hashlib.blake2b(word.encode(), digest_size=EMBEDDING_SIZE).digest()
        total += np.frombuffer(digest, dtype=np.uint8).astype(np.float32) / 127.5 - 1.0
    return total / math.sqrt(max(len(words), 1))


def _palette_hues(words: list[str], avoid: list[str], style: Vector) -> list[float]:
    named = [_HUES[word] for word in words if word in _HUES]
    if named:
        # Neighbouring hues around the named ones, so one colour word still gives some range.
        count = len(named)
        hues = [
            named[k % count] + 0.07 * (k // count) + 0.03 * float(style[k])
            for k in range(_PALETTE_SIZE)
        ]
    else:
        # No colour named: a harmonious scheme (analogous, triadic or complementary).
        base, spread = (float(style[0]) + 1) / 2, (0.08, 0.33, 0.5)[int(abs(style[1]) * 2.99)]
        hues = [base + spread * k for k in range(_PALETTE_SIZE)]
    for hue in (_HUES[word] for word in avoid if word in _HUES):
        hues = [h + 0.5 if abs((h - hue + 0.5) % 1.0 - 0.5) < 0.12 else h for h in hues]
    return [h % 1.0 for h in hues]


def encode(ctx: NodeContext, prompt: str, negative_prompt: str) -> Vector:
    """Node: palette hues in the first four values, a hashed style vector after them."""
    words, avoid = _words(prompt), _words(negative_prompt)
    style = np.tanh(_bag_of_words(words) - 0.5 * _bag_of_words(avoid)).astype(np.float32)
    style[:_PALETTE_SIZE] = _palette_hues(words, avoid, style)
    return style


def latent(ctx: NodeContext, seed: int, width: int, height: int) -> Latent:
    """Node: the seed's starting noise at one eighth of the output size."""
    rng = np.random.default_rng(seed % 2**64)
    shape = (height // LATENT_SCALE, width // LATENT_SCALE, 4)
    return rng.standard_normal(shape, dtype=np.float32)


def _smooth(values: Latent) -> Latent:
    """Low-frequency part of a field, rescaled to unit spread per channel."""
    sigma = max(values.shape[:2]) / 10
    blurred = np.asarray(cv2.GaussianBlur(values, (0, 0), sigma), dtype=np.float32)
    spread = blurred.std(axis=(0, 1)) + 1e-6
    centred: Latent = (blurred - blurred.mean(axis=(0, 1))) / spread
    return centred


def _palette(embedding: Vector) -> NDArray[np.float32]:
    colours = []
    for k in range(_PALETTE_SIZE):
        saturation = 0.45 + 0.45 * abs(float(embedding[8 + k]))
        value = 0.25 + 0.22 * k + 0.06 * float(embedding[12 + k])  # dark to light, for contrast
        colours.append(colorsys.hsv_to_rgb(float(embedding[k]), saturation, value))
    return np.array(colours, dtype=np.float32)


def _predict(embedding: Vector, warp: Latent) -> Latent:
    """The clean latent the sampler aims for: palette regions over warped wave fields."""
    height, width = warp.shape[:2]
    ys, xs = np.meshgrid(
        np.linspace(-1, 1, height, dtype=np.float32),
        np.linspace(-width / height, width / height, width, dtype=np.float32),
        indexing="ij",
    )
    xw, yw = xs + 0.35 * warp[..., 0], ys + 0.35 * warp[..., 1]
    count = _PALETTE_SIZE * _WAVES
    fx, fy = 4.0 * embedding[16 : 16 + count], 4.0 * embedding[28 : 28 + count]
    phase = math.pi * embedding[40 : 40 + count]
    waves = np.sin(xw[..., None] * fx + yw[..., None] * fy + phase)
    amplitude = np.tile(np.array([1.0, 0.5, 0.25], dtype=np.float32), _PALETTE_SIZE)
    fields = (waves * amplitude).reshape(height, width, _PALETTE_SIZE, _WAVES).sum(axis=-1)
    sharpness = 2.5 + 1.5 * float(embedding[52])
    weights = np.exp(sharpness * (fields - fields.max(axis=-1, keepdims=True)))
    weights /= weights.sum(axis=-1, keepdims=True)
    colour = weights @ _palette(embedding)
    shading = np.tanh(0.6 * warp[..., 2] + 0.4 * float(embedding[53]) * ys)
    clean = np.empty_like(warp)
    clean[..., :3] = np.arctanh(np.clip(2 * colour - 1, -0.98, 0.98))
    clean[..., 3] = shading
    return clean


def sample(ctx: NodeContext, encode: Vector, latent: Latent, steps: int) -> Latent:
    """Node: denoise the starting noise toward the prompt's scene in `steps` steps."""
    composition = _smooth(latent)
    x = latent.copy()
    for i in range(steps):
        ctx.check_stop()
        # Cosine schedule: the signal share goes from 0 (pure noise) to 1 (clean).
        signal = math.cos(math.pi / 2 * (1 - i / steps)) ** 2
        signal_next = math.cos(math.pi / 2 * (1 - (i + 1) / steps)) ** 2
        clean = _predict(encode, composition + 0.3 * _smooth(x))
        noise = (x - math.sqrt(signal) * clean) / math.sqrt(1 - signal)
        x = (math.sqrt(signal_next) * clean + math.sqrt(1 - signal_next) * noise).astype(np.float32)
        ctx.progress((i + 1) / steps, f"step {i + 1}/{steps}")
    return x


def decode(ctx: NodeContext, sample: Latent) -> Pixels:
    """Node: upsample the latent eightfold and map its channels to RGB."""
    height, width = sample.shape[0] * LATENT_SCALE, sample.shape[1] * LATENT_SCALE
    full = np.asarray(
        cv2.resize(sample, (width, height), interpolation=cv2.INTER_CUBIC), dtype=np.float32
    )
    rgb = (0.5 + 0.5 * np.tanh(full[..., :3])) * (1 + 0.2 * np.tanh(full[..., 3:]))
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def save(ctx: NodeContext, decode: Pixels, output_format: str) -> Artifact:
    """Node: the image file."""
    return encode_image(decode, output_format)


def finish(inputs: dict[str, Any], outputs: dict[str, Any]) -> ModelResult:
    image: Artifact = outputs["save"]
    return ModelResult(
        output={},
        files={"images": [image]},
        usage={
            "output_megapixels": inputs["width"] * inputs["height"] / 1e6,
            "steps": inputs["steps"],
        },
    )


FLOW = Flow(
    nodes=(
        Node("encode", "txt2img.encode.v1", encode, literals=("prompt", "negative_prompt")),
        Node("latent", "txt2img.latent.v1", latent, literals=("seed", "width", "height")),
        Node("sample", "txt2img.sample.v1", sample, ("steps",), ("encode", "latent"), 10.0),
        Node("decode", "txt2img.decode.v1", decode, upstream=("sample",), weight=2.0),
        Node("save", "txt2img.save.v1", save, ("output_format",), ("decode",), weight=2.0),
    ),
    finish=finish,
)

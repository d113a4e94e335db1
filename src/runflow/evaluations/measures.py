"""What an image measures: the no-reference quality measurements behind an evaluation.

Every measurement is taken on a *viewing copy* of the image — its longer side reduced to
`VIEWING_SIDE` pixels with area averaging — except blockiness, which needs the encoder's 8×8
grid at the native size. That is the size normalisation: the same picture at 512 px and at
2048 px is the same picture on a screen, so it measures the same.

Luminance is ITU-R BT.601 luma (OpenCV's RGB→grey), scaled to 0–1 unless said otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.measure import blur_effect
from skimage.restoration import estimate_sigma

Pixels = NDArray[np.uint8]

VIEWING_SIDE = 512
# Uniformity is judged on a thumbnail, so sensor noise averages out and a noisy but empty
# frame still counts as empty.
_THUMBNAIL_SIDE = 128
_TILE = 8
_FLAT_TILE_STD = 0.004
# Tones within 2 % of either end count as clipped (0–5 and 250–255 of 255).
_CLIP = 5


@dataclass(frozen=True)
class Measurements:
    """The measured values of one image, as `metrics` in an evaluation."""

    width: int
    height: int
    megapixels: float
    sharpness: float
    blur: float
    noise_sigma: float
    brightness: float
    shadows: float
    highlights: float
    clipped_dark: float
    clipped_bright: float
    contrast: float
    colorfulness: float
    color_cast: float
    blockiness: float
    flat_area: float

    def as_metrics(self) -> dict[str, float | int]:
        """Rounded for people: 4 decimals carry every difference the verdict draws on."""
        return {
            name: value if isinstance(value, int) else round(value, 4)
            for name, value in asdict(self).items()
        }


def viewing_copy(rgb: Pixels) -> Pixels:
    """`rgb` with its longer side at most `VIEWING_SIDE`, by area averaging (never enlarged)."""
    height, width = rgb.shape[:2]
    scale = VIEWING_SIDE / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def measure(rgb: Pixels) -> Measurements:
    """All measurements of an RGB image."""
    height, width = rgb.shape[:2]
    view = viewing_copy(rgb)
    luma = _grey(view)
    tones = luma.astype(np.float64) / 255
    low, high = np.percentile(tones, [1, 99])
    return Measurements(
        width=width,
        height=height,
        megapixels=width * height / 1e6,
        sharpness=sharpness(luma),
        blur=blur(tones),
        noise_sigma=noise_sigma(luma),
        brightness=float(tones.mean()),
        shadows=float(low),
        highlights=float(high),
        clipped_dark=float((luma <= _CLIP).mean()),
        clipped_bright=float((luma >= 255 - _CLIP).mean()),
        contrast=contrast(view),
        colorfulness=colorfulness(view),
        color_cast=color_cast(view),
        blockiness=blockiness(_grey(rgb)),
        flat_area=flat_area(view),
    )


def _grey(rgb: Pixels) -> Pixels:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def sharpness(luma: Pixels) -> float:
    """Variance of the Laplacian (Pech-Pacheco et al., 2000): var(∇²I), I in 0–255.

    Reported for reference; the verdict uses `blur`, which does not grow with contrast.
    """
    return float(cv2.Laplacian(luma, cv2.CV_64F).var())


def blur(tones: NDArray[np.float64]) -> float:
    """Perceptual blur, 0 (sharp) to 1 (blurred): Crété-Roffet et al., "The Blur Effect:
    Perception and Estimation with a New No-Reference Perceptual Blur Metric", SPIE 2007 —
    how much the image's neighbour differences survive re-blurring it (scikit-image's
    `blur_effect`, the larger of the horizontal and vertical values)."""
    if min(tones.shape) < 16:
        return 0.0  # too small to re-blur meaningfully; `LOW_RESOLUTION` says the rest
    return float(blur_effect(tones))  # type: ignore[no-untyped-call]


def noise_sigma(luma: Pixels) -> float:
    """Standard deviation of Gaussian noise, in 0–255 levels: Donoho & Johnstone's robust
    wavelet estimator, σ = median(|HH₁|) / 0.6745 over the finest diagonal detail band
    (scikit-image's `estimate_sigma`)."""
    if min(luma.shape) < 16:
        return 0.0  # too few pixels for a wavelet band; `LOW_RESOLUTION` says the rest
    return float(estimate_sigma(luma.astype(np.float64)))  # type: ignore[no-untyped-call]


def colorfulness(rgb: Pixels) -> float:
    """Hasler & Süsstrunk, "Measuring colourfulness in natural images", SPIE 2003:
    rg = R − G, yb = (R + G)/2 − B; M = √(σ²rg + σ²yb) + 0.3·√(μ²rg + μ²yb), in 0–255 units."""
    channels = rgb.astype(np.float64)
    red, green, blue = channels[..., 0], channels[..., 1], channels[..., 2]
    rg = red - green
    yb = (red + green) / 2 - blue
    spread = np.hypot(rg.std(), yb.std())
    mean = np.hypot(rg.mean(), yb.mean())
    return float(spread + 0.3 * mean)


def color_cast(rgb: Pixels) -> float:
    """Grey-world deviation (Buchsbaum, 1980: a scene averages to grey, so a mean colour far
    from grey is a tint of the light or of the white balance): the distance of the image's
    mean chromaticity (R̄, Ḡ, B̄) / (R̄ + Ḡ + B̄) from neutral (⅓, ⅓, ⅓). Chromaticity does not
    change with exposure, so darkening or brightening an image leaves its cast alone."""
    means = rgb.reshape(-1, 3).mean(axis=0)
    total = float(means.sum())
    if total < 1e-6:
        return 0.0
    return float(np.linalg.norm(means / total - 1 / 3))


def blockiness(luma: Pixels) -> float:
    """JPEG blockiness, ≥ 1: the mean absolute step across the strongest of the 8 column (and
    row) phases over the median phase, averaged over both directions (after Wang, Sheikh &
    Bovik's 8×8 boundary-discontinuity measure, ICIP 2002). A clean image has no preferred
    phase (≈ 1); block coding puts its steps on one phase in 8. Taking the strongest phase
    finds the grid in cropped images too."""
    grey = luma.astype(np.float64)
    if min(grey.shape) < 2 * 8 + 1:
        return 1.0
    ratios = []
    for steps, axis in ((np.abs(np.diff(grey, axis=1)), 1), (np.abs(np.diff(grey, axis=0)), 0)):
        phases = np.array(
            [
                steps[:, phase::8].mean() if axis == 1 else steps[phase::8, :].mean()
                for phase in range(8)
            ]
        )
        middle = float(np.median(phases))
        ratios.append(float(phases.max()) / middle if middle > 1e-6 else 1.0)
    return float(np.mean(ratios))


def contrast(rgb: Pixels) -> float:
    """RMS contrast (Peli, 1990): the standard deviation of luminance, 0–1, taken on the
    128-px thumbnail so that noise, which also adds variance, does not count as contrast."""
    return float(_thumbnail_tones(rgb).std())


def _thumbnail_tones(rgb: Pixels) -> NDArray[np.float64]:
    height, width = rgb.shape[:2]
    scale = min(1.0, _THUMBNAIL_SIDE / max(height, width))
    size = (max(_TILE, round(width * scale)), max(_TILE, round(height * scale)))
    thumbnail = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.cvtColor(thumbnail, cv2.COLOR_RGB2GRAY), dtype=np.float64) / 255


def flat_area(rgb: Pixels) -> float:
    """Share of the picture with no visible structure: on a 128-px thumbnail, the fraction of
    8×8 tiles whose luminance standard deviation is under 1 % of full scale."""
    tones = _thumbnail_tones(rgb)
    rows, columns = tones.shape[0] // _TILE, tones.shape[1] // _TILE
    tiles = tones[: rows * _TILE, : columns * _TILE].reshape(rows, _TILE, columns, _TILE)
    return float((tiles.std(axis=(1, 3)) < _FLAT_TILE_STD).mean())

"""From measurements to a verdict: issues, a 0–1 score and `passed` (DESIGN §14).

Each issue code has a *ratio*: its measurement against the threshold where a person calls the
image faulty, so that 1 is that threshold for every code. A ratio of 0.75 or more is a
`minor` issue, 1 or more `major`, 2 or more `critical`. The thresholds were set on the
calibration photographs of `bench/evaluations.py` (scikit-image's sample photographs, each
degraded by every family at four strengths), which reports how well they hold.

The score combines per-code quality q = 1 / (1 + ratio⁴) — 1 for a flawless image, 0.5 at the
threshold, falling fast beyond it — as min(q)^¾ · (∏ q)^¼: dominated by the worst fault, yet
strictly falling with every measurement's ratio, so it is monotonic in the strength of each
degradation. A major issue therefore always scores ≤ 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from runflow.evaluations.issues import IssueCode, Severity
from runflow.evaluations.measures import Measurements

DEFAULT_MIN_SCORE = 0.5
# Below about a quarter of a megapixel's side squared (256 × 256) a picture looks small on
# any screen; `criteria.min_width` / `min_height` can ask for more.
MIN_PIXELS = 256 * 256

# The thresholds (ratio 1) of each measurement.
BLUR_EFFECT = 0.70
NOISE_SIGMA = 8.0
SHADOWS_FLOOR = 0.55  # the darkest 1 % of tones above mid-grey: washed out
CLIPPED_BRIGHT = 0.30
HIGHLIGHTS_CEILING = 0.25  # the brightest 1 % of tones darker than a quarter: no light
CLIPPED_DARK = 0.45
CONTRAST = 0.045
FLAT_AREA = 0.97
BLOCKINESS_EXCESS = 1.5
COLOR_CAST = 0.30
# Open-NSFW's authors: below 0.2 safe, above 0.8 unsafe; 0.4 is where most of what a person
# would flag begins, so 0.8 lands on `critical`.
NSFW_PROBABILITY = 0.4

# Blur, noise and blocks are measured on structure; a blank frame has none to measure, so
# those are not separate faults of it. (Exposure, contrast and tint still describe it.)
_IMPLIED_BY_BLANK = frozenset({IssueCode.BLURRY, IssueCode.NOISY, IssueCode.COMPRESSION_ARTIFACTS})


@dataclass(frozen=True)
class Criteria:
    """What the caller asks of the image (`criteria` of an evaluation)."""

    min_score: float = DEFAULT_MIN_SCORE
    min_width: int | None = None
    min_height: int | None = None
    ignore: frozenset[IssueCode] = frozenset()


@dataclass(frozen=True)
class Issue:
    code: IssueCode
    severity: Severity
    message: str
    score: float

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
            "score": self.score,
        }


@dataclass(frozen=True)
class Verdict:
    passed: bool
    score: float
    issues: tuple[Issue, ...]


@dataclass(frozen=True)
class _Rule:
    ratio: Callable[[Measurements, float, Criteria], float]
    message: Callable[[Measurements, float, Criteria], str]


def _blank_ratio(flat_area: float) -> float:
    """Linear in the flat share up to the threshold, then rising to 2 (critical) at 100 %:
    an entirely flat frame is the worst case, not merely a fault."""
    if flat_area <= FLAT_AREA:
        return flat_area / FLAT_AREA
    return 1 + (flat_area - FLAT_AREA) / (1 - FLAT_AREA)


def _resolution_ratio(m: Measurements, _: float, criteria: Criteria) -> float:
    ratios = [math.sqrt(MIN_PIXELS / max(m.width * m.height, 1))]
    if criteria.min_width:
        ratios.append(criteria.min_width / max(m.width, 1))
    if criteria.min_height:
        ratios.append(criteria.min_height / max(m.height, 1))
    return max(ratios)


def _resolution_message(m: Measurements, _: float, criteria: Criteria) -> str:
    wanted = f"{criteria.min_width or '-'}×{criteria.min_height or '-'} px asked"
    asked = f"; {wanted}" if criteria.min_width or criteria.min_height else ""
    return f"The image is {m.width}×{m.height} px{asked}; 256×256 px is the least for a photo."


_RULES: dict[IssueCode, _Rule] = {
    IssueCode.BLURRY: _Rule(
        lambda m, _, __: m.blur / BLUR_EFFECT,
        lambda m, _, __: (
            f"The image is blurred (blur effect {m.blur:.2f}; "
            f"{BLUR_EFFECT:.2f} is the limit, sharp photographs measure 0.2–0.5)."
        ),
    ),
    IssueCode.NOISY: _Rule(
        lambda m, _, __: m.noise_sigma / NOISE_SIGMA,
        lambda m, _, __: (
            f"The image is noisy (noise σ {m.noise_sigma:.1f} of 255; "
            f"{NOISE_SIGMA:.0f} is the limit)."
        ),
    ),
    IssueCode.OVEREXPOSED: _Rule(
        lambda m, _, __: max(m.shadows / SHADOWS_FLOOR, m.clipped_bright / CLIPPED_BRIGHT),
        lambda m, _, __: (
            f"The image is overexposed: its darkest tones are at "
            f"{m.shadows:.0%} brightness and {m.clipped_bright:.0%} of it is clipped white."
        ),
    ),
    IssueCode.UNDEREXPOSED: _Rule(
        lambda m, _, __: max(
            HIGHLIGHTS_CEILING / max(m.highlights, 1e-3), m.clipped_dark / CLIPPED_DARK
        ),
        lambda m, _, __: (
            f"The image is underexposed: its brightest tones reach only "
            f"{m.highlights:.0%} and {m.clipped_dark:.0%} of it is clipped black."
        ),
    ),
    IssueCode.LOW_CONTRAST: _Rule(
        lambda m, _, __: CONTRAST / max(m.contrast, 1e-4),
        lambda m, _, __: (
            f"The image has little contrast (RMS contrast {m.contrast:.3f}; "
            f"{CONTRAST} is the limit)."
        ),
    ),
    IssueCode.BLANK: _Rule(
        lambda m, _, __: _blank_ratio(m.flat_area),
        lambda m, _, __: f"The image is blank: {m.flat_area:.0%} of it is a flat colour.",
    ),
    IssueCode.COMPRESSION_ARTIFACTS: _Rule(
        lambda m, _, __: max(m.blockiness - 1, 0) / BLOCKINESS_EXCESS,
        lambda m, _, __: (
            f"The image shows 8×8 compression blocks (blockiness "
            f"{m.blockiness:.2f}; 1 is none, {1 + BLOCKINESS_EXCESS} is the limit)."
        ),
    ),
    IssueCode.LOW_RESOLUTION: _Rule(_resolution_ratio, _resolution_message),
    IssueCode.COLOR_CAST: _Rule(
        lambda m, _, __: m.color_cast / COLOR_CAST,
        lambda m, _, __: (
            f"The image has a colour cast (its mean chromaticity is "
            f"{m.color_cast:.2f} from neutral grey; {COLOR_CAST} is the limit)."
        ),
    ),
    IssueCode.NSFW: _Rule(
        lambda _, nsfw, __: nsfw / NSFW_PROBABILITY,
        lambda _, nsfw, __: (
            f"The image may be sexually explicit (classifier probability {nsfw:.2f})."
        ),
    ),
}


def quality(ratio: float) -> float:
    """Per-code quality: 1 when flawless, 0.5 at the threshold."""
    return 1 / (1 + ratio**4)


def severity(ratio: float) -> Severity | None:
    if ratio >= 2:
        return Severity.CRITICAL
    if ratio >= 1:
        return Severity.MAJOR
    if ratio >= 0.75:
        return Severity.MINOR
    return None


def judge(measured: Measurements, nsfw_probability: float, criteria: Criteria) -> Verdict:
    """The verdict on one image."""
    judged = {code: rule for code, rule in _RULES.items() if code not in criteria.ignore}
    ratios = {
        code: rule.ratio(measured, nsfw_probability, criteria) for code, rule in judged.items()
    }
    qualities = {code: quality(ratio) for code, ratio in ratios.items()}
    score = _combine(list(qualities.values()))
    blank = (severity(ratios.get(IssueCode.BLANK, 0.0)) or Severity.MINOR) != Severity.MINOR
    issues = []
    for code, ratio in sorted(ratios.items(), key=lambda item: -item[1]):
        level = severity(ratio)
        if level is None or (blank and code in _IMPLIED_BY_BLANK):
            continue
        message = judged[code].message(measured, nsfw_probability, criteria)
        issues.append(Issue(code, level, message, round(qualities[code], 3)))
    faulty = any(issue.severity != Severity.MINOR for issue in issues)
    return Verdict(
        passed=not faulty and score >= criteria.min_score, score=score, issues=tuple(issues)
    )


def _combine(qualities: list[float]) -> float:
    if not qualities:
        return 1.0
    worst = min(qualities)
    product = math.prod(qualities)
    return round(float(worst**0.75 * product**0.25), 3)

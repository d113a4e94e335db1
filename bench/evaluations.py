"""Calibration of the evaluations (issue 16): does the verdict agree with the degradations?

    .venv/bin/python -m bench.evaluations

Per family of degradation, on the train and the test split: the share of clean photographs that
pass, the share of the strongest degradations that fail with that family's issue code, and the
rank correlation (Spearman ρ, mean over photographs) of `score` with strength, clean = 0.
Then the time per 1-megapixel image on one core. Targets: ≥ 95 %, ≥ 95 %, ρ ≤ −0.9, ≤ 150 ms.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says

import cv2
import numpy as np
from PIL import Image
from scipy.stats import spearmanr

from bench.calibration import FAMILIES, PHOTOS, TEST_PHOTOS, TRAIN_PHOTOS, Family, photo
from runflow.evaluations.issues import Severity
from runflow.evaluations.measures import Pixels, measure
from runflow.evaluations.nsfw import nsfw_probability
from runflow.evaluations.verdict import Criteria, Verdict, judge


def evaluate(pixels: Pixels) -> Verdict:
    return judge(measure(pixels), nsfw_probability(Image.fromarray(pixels)), Criteria())


def fails_with(verdict: Verdict, family: Family) -> bool:
    return not verdict.passed and any(
        issue.code == family.code and issue.severity != Severity.MINOR for issue in verdict.issues
    )


def report(split: str, names: Sequence[str]) -> None:
    photos = {name: photo(name) for name in names}
    clean = {name: evaluate(pixels) for name, pixels in photos.items()}
    passing = sum(verdict.passed for verdict in clean.values())
    print(f"\n{split} split ({len(names)} photos): clean pass {passing}/{len(names)}")
    for name, verdict in clean.items():
        if not verdict.passed:
            print(f"  clean {name} fails: {[issue.code.value for issue in verdict.issues]}")
    print(f"  {'family':28s} {'strongest fails':>16s} {'mean ρ':>8s} {'worst ρ':>8s}")
    for family in FAMILIES:
        caught = 0
        rhos = []
        for name, pixels in photos.items():
            verdicts = [clean[name]] + [
                evaluate(family.degrade(pixels, strength)) for strength in family.strengths
            ]
            caught += fails_with(verdicts[-1], family)
            scores = [verdict.score for verdict in verdicts]
            rho = spearmanr(range(len(scores)), scores).statistic
            rhos.append(-1.0 if np.isnan(rho) else float(rho))
        print(
            f"  {family.name:28s} {caught:>7d}/{len(names):<2d} ({caught / len(names):4.0%})"
            f" {statistics.fmean(rhos):8.3f} {min(rhos, key=lambda rho: -rho):8.3f}"
        )


def size_invariance() -> None:
    """The same picture at 512 px and enlarged to 2048 px: the same verdict?"""
    same = 0
    for name in (*TRAIN_PHOTOS, *TEST_PHOTOS):
        small = photo(name)
        height, width = small.shape[:2]
        large = np.asarray(
            cv2.resize(small, (width * 4, height * 4), interpolation=cv2.INTER_CUBIC), np.uint8
        )
        verdicts = [evaluate(small), evaluate(large)]
        codes = [
            {issue.code for issue in v.issues if issue.severity != Severity.MINOR} for v in verdicts
        ]
        if verdicts[0].passed == verdicts[1].passed and codes[0] == codes[1]:
            same += 1
        else:
            print(f"  {name}: {verdicts[0]} vs {verdicts[1]}")
        print(
            f"  {name:22s} score {verdicts[0].score:.3f} at {width} px, "
            f"{verdicts[1].score:.3f} at {width * 4} px"
        )
    print(f"\nsame verdict at ×1 and ×4: {same}/{len(PHOTOS)}")


def timing() -> None:
    pixels = np.asarray(
        cv2.resize(photo("astronaut"), (1000, 1000), interpolation=cv2.INTER_CUBIC), np.uint8
    )
    evaluate(pixels)  # loads the classifier
    laps = []
    for _ in range(10):
        started = time.perf_counter()
        evaluate(pixels)
        laps.append(time.perf_counter() - started)
    print(
        f"\n1-megapixel image, one core: median {statistics.median(laps) * 1000:.0f} ms "
        f"(measurements {_lap(lambda: measure(pixels)):.0f} ms, "
        f"NSFW classifier {_lap(lambda: nsfw_probability(Image.fromarray(pixels))):.0f} ms)"
    )


def _lap(step: object) -> float:
    assert callable(step)
    laps = []
    for _ in range(5):
        started = time.perf_counter()
        step()
        laps.append(time.perf_counter() - started)
    return statistics.median(laps) * 1000


def main() -> None:
    cv2.setNumThreads(1)
    report("train", TRAIN_PHOTOS)
    report("test", TEST_PHOTOS)
    retina = evaluate(photo("retina"))
    print(
        f"\nretina (not in the set): passed={retina.passed} score={retina.score} "
        f"issues={[(issue.code.value, issue.severity.value) for issue in retina.issues]}"
    )
    size_invariance()
    timing()


if __name__ == "__main__":
    main()

"""The verdict on a small fixed subset of the calibration set (bench/evaluations.py has all):
clean photographs pass, the strongest degradation of each family fails with its own code, the
score falls with strength, and size does not change the verdict."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from bench.calibration import FAMILIES, Family, photo
from PIL import Image

from runflow.evaluations.issues import IssueCode, Severity
from runflow.evaluations.measures import Pixels, measure
from runflow.evaluations.nsfw import nsfw_probability
from runflow.evaluations.verdict import Criteria, Verdict, judge

SUBSET = ("astronaut", "coffee", "camera")


def evaluate(pixels: Pixels, criteria: Criteria | None = None) -> Verdict:
    probability = nsfw_probability(Image.fromarray(pixels))
    return judge(measure(pixels), probability, criteria or Criteria())


def faults(verdict: Verdict) -> set[IssueCode]:
    return {issue.code for issue in verdict.issues if issue.severity != Severity.MINOR}


@pytest.mark.parametrize("name", SUBSET)
def test_clean_photographs_pass(name: str) -> None:
    verdict = evaluate(photo(name))
    assert verdict.passed, verdict
    assert faults(verdict) == set()
    assert 0.5 <= verdict.score <= 1


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.code.value)
@pytest.mark.parametrize("name", SUBSET)
def test_the_strongest_degradation_fails_with_its_code(name: str, family: Family) -> None:
    verdict = evaluate(family.degrade(photo(name), family.strengths[-1]))
    assert not verdict.passed
    assert family.code in faults(verdict), verdict
    assert verdict.score < 0.5


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.code.value)
def test_the_score_falls_as_the_degradation_grows(family: Family) -> None:
    clean = photo("astronaut")
    scores = [evaluate(clean).score]
    scores += [evaluate(family.degrade(clean, strength)).score for strength in family.strengths]
    # Mild levels may tie with their neighbour; each stronger level is never better by more
    # than rounding, and the strongest is far below the clean photograph.
    assert all(later <= earlier + 0.01 for earlier, later in itertools.pairwise(scores))
    assert scores[-1] < scores[0] - 0.3, scores


@pytest.mark.parametrize("name", SUBSET)
def test_the_same_picture_at_four_times_the_size_gets_the_same_verdict(name: str) -> None:
    small = photo(name)
    height, width = small.shape[:2]
    large = np.asarray(
        cv2.resize(small, (width * 4, height * 4), interpolation=cv2.INTER_CUBIC), np.uint8
    )
    verdicts = evaluate(small), evaluate(large)
    assert verdicts[0].passed == verdicts[1].passed
    assert faults(verdicts[0]) == faults(verdicts[1])


def test_criteria_ignore_min_score_and_minimum_size() -> None:
    blurred = FAMILIES[0].degrade(photo("astronaut"), 6)
    assert IssueCode.BLURRY in faults(evaluate(blurred))
    ignoring = evaluate(blurred, Criteria(ignore=frozenset({IssueCode.BLURRY})))
    assert IssueCode.BLURRY not in {issue.code for issue in ignoring.issues}
    clean = photo("astronaut")  # 512 × 512
    assert not evaluate(clean, Criteria(min_score=0.99)).passed
    wide = evaluate(clean, Criteria(min_width=1024))
    assert IssueCode.LOW_RESOLUTION in faults(wide)
    assert "1024" in next(i.message for i in wide.issues if i.code == IssueCode.LOW_RESOLUTION)


def test_a_blank_frame_is_critical_and_not_also_blurred() -> None:
    verdict = evaluate(np.full((400, 600, 3), 90, np.uint8))
    codes = {issue.code: issue.severity for issue in verdict.issues}
    assert codes[IssueCode.BLANK] == Severity.CRITICAL
    assert IssueCode.BLURRY not in codes
    assert IssueCode.NOISY not in codes
    assert verdict.score < 0.1


def test_measurements_follow_their_formulas() -> None:
    grey = np.full((64, 64, 3), 128, np.uint8)
    measured = measure(grey)
    assert (measured.colorfulness, measured.color_cast, measured.contrast) == (0, 0, 0)
    assert measured.blockiness == 1.0
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = 200
    # chromaticity (1, 0, 0) is √(⅔² + ⅓² + ⅓²) = √(6)/3 from neutral
    assert measure(red).color_cast == pytest.approx(np.sqrt(6) / 3)
    half = np.zeros((64, 64, 3), np.uint8)
    half[:, 32:] = 255
    assert measure(half).contrast == pytest.approx(0.5, abs=0.01)
    assert measure(half).clipped_dark == pytest.approx(0.5, abs=0.02)


def test_the_classifier_scores_photographs_as_safe() -> None:
    assert nsfw_probability(Image.fromarray(photo("camera"))) < 0.2

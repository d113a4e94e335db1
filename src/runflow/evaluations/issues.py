"""The closed list of evaluation issue codes and severities (DESIGN §14)."""

from __future__ import annotations

import enum


class IssueCode(enum.StrEnum):
    BLURRY = "BLURRY"
    NOISY = "NOISY"
    OVEREXPOSED = "OVEREXPOSED"
    UNDEREXPOSED = "UNDEREXPOSED"
    LOW_CONTRAST = "LOW_CONTRAST"
    BLANK = "BLANK"
    COMPRESSION_ARTIFACTS = "COMPRESSION_ARTIFACTS"
    LOW_RESOLUTION = "LOW_RESOLUTION"
    COLOR_CAST = "COLOR_CAST"
    NSFW = "NSFW"


class Severity(enum.StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

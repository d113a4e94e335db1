"""The vocabulary of input declarations (DESIGN §8): variable types, validators, defaults."""

from __future__ import annotations

import enum


class VariableType(enum.StrEnum):
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    ENUM = "enum"
    SEED = "seed"
    IMAGE = "image"
    VIDEO = "video"
    JSON = "json"


class ValidatorCode(enum.StrEnum):
    """Each validator reads its own keys of `validator_attrs`."""

    RANGE = "range"  # min, max (inclusive), optional multiple_of
    LENGTH = "length"  # min_length, max_length
    REGEX = "regex"  # pattern, matched against the whole string
    CHOICES = "choices"  # values
    MULTIPLE_OF = "multiple_of"  # multiple_of


class DefaultBehavior(enum.StrEnum):
    USE_DEFAULT = "use_default"  # absent → `default_value`
    RANDOM_SEED = "random_seed"  # absent → a random seed, recorded in the run's input
    OMIT = "omit"  # absent → absent


SEED_MAX = 2**32 - 1

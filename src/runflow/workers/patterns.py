"""`--models` patterns: which catalog models a worker serves.

A pattern is `owner/slug` with shell wildcards (`acme/*`, `runflow/echo`, `*`), matched
against each model's path. Workers store their patterns, not model ids, so a model added to
the catalog after a worker started is served by it as soon as a pattern matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

EVERY_MODEL = "*"
_PATTERN = re.compile(r"^[a-z0-9*?\[\]-]+/[a-z0-9*?\[\]-]+$|^\*$")


class BadPattern(ValueError):
    """A `--models` value that names no model path."""


@dataclass(frozen=True)
class ModelPatterns:
    patterns: tuple[str, ...] = (EVERY_MODEL,)

    @classmethod
    def parse(cls, text: str | None) -> ModelPatterns:
        """`'acme/*,runflow/echo'`; empty or None: every model."""
        patterns = tuple(part.strip() for part in (text or "").split(",") if part.strip())
        for pattern in patterns:
            if not _PATTERN.match(pattern):
                raise BadPattern(
                    f"{pattern!r} is not a model pattern like 'acme/*' or 'runflow/echo'"
                )
        return cls(patterns or (EVERY_MODEL,))

    @property
    def serves_everything(self) -> bool:
        return EVERY_MODEL in self.patterns

    def serves(self, path: str) -> bool:
        return any(fnmatchcase(path, pattern) for pattern in self.patterns)


def served_by_any(path: str, workers: Iterable[ModelPatterns]) -> bool:
    return any(patterns.serves(path) for patterns in workers)

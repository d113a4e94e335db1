"""The disk node cache: round trips values, and declines values too large to be worth it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runflow.engine.node_cache import MAX_CACHED_BYTES, DiskNodeCache
from runflow.models_builtin.flow import Artifact


def test_values_round_trip_through_disk(tmp_path: Path) -> None:
    cache = DiskNodeCache(tmp_path)
    latent = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.put("ab" * 32, {"latent": latent, "note": "x"})

    hit, loaded = DiskNodeCache(tmp_path).get("ab" * 32)

    assert hit
    assert np.array_equal(loaded["latent"], latent)
    assert loaded["note"] == "x"


def test_unknown_signature_is_a_miss(tmp_path: Path) -> None:
    assert DiskNodeCache(tmp_path).get("cd" * 32) == (False, None)


def test_values_over_the_size_limit_are_not_cached(tmp_path: Path) -> None:
    cache = DiskNodeCache(tmp_path)
    frames = [np.zeros(MAX_CACHED_BYTES // 2 + 1, dtype=np.uint8) for _ in range(2)]
    cache.put("ef" * 32, frames)
    cache.put("01" * 32, Artifact("image/png", b"x" * 10))

    assert cache.get("ef" * 32) == (False, None)
    assert cache.get("01" * 32)[0]

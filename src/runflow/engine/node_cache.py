"""Node outputs on disk, keyed by input signature: a rerun with one changed input recomputes
only the nodes downstream of it (DESIGN §5)."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from runflow.models_builtin.flow import Artifact

# Values larger than this are recomputed rather than cached: raw video frames can reach a
# gigabyte, and writing them costs more than recomputing them.
MAX_CACHED_BYTES = 64 * 1024 * 1024


def approximate_size(value: Any) -> int:
    """Bytes a value holds, counting only the bulky parts (arrays and binary data)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, Artifact):
        return len(value.data)
    if isinstance(value, list | tuple):
        return sum(approximate_size(item) for item in value)
    if isinstance(value, dict):
        return sum(approximate_size(item) for item in value.values())
    return 0


class DiskNodeCache:
    """Pickled values under `root/<sig[:2]>/<sig>`; written atomically, shared by processes.

    Only this service writes here, so unpickling is safe: the files are our own values.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, signature: str) -> Path:
        return self.root / signature[:2] / signature

    def get(self, signature: str) -> tuple[bool, Any]:
        try:
            with self._path(signature).open("rb") as handle:
                return True, pickle.load(handle)
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return False, None

    def put(self, signature: str, value: Any) -> None:
        if approximate_size(value) > MAX_CACHED_BYTES:
            return
        path = self._path(signature)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)

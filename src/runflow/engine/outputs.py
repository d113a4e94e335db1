"""Files produced by runs, kept on local disk under the data directory.

Outputs are addressed as `/v1/outputs/{run_id}/{filename}` and served to members of the run's
org. (Signed, expiring media URLs replace these when media become first-class objects.)
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from pathlib import Path

from runflow.models_builtin.flow import Artifact

_EXTENSIONS = {
    "image/png": "png",
    "image/webp": "webp",
    "image/jpeg": "jpg",
    "video/mp4": "mp4",
}
_SAFE_NAME = re.compile(r"^[a-z0-9_-]+\.[a-z0-9]+$")


class OutputStore:
    def __init__(self, root: Path, public_url: str) -> None:
        self.root = root
        self.public_url = public_url.rstrip("/")

    def save(self, run_id: uuid.UUID, key: str, index: int, artifact: Artifact) -> str:
        """Write the artifact; returns the URL it is served at."""
        extension = _EXTENSIONS.get(artifact.content_type, "bin")
        filename = f"{key}-{index}.{extension}"
        directory = self.root / str(run_id)
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{filename}.tmp"
        temporary.write_bytes(artifact.data)
        temporary.replace(directory / filename)
        return f"{self.public_url}/v1/outputs/{run_id}/{filename}"

    def path(self, run_id: uuid.UUID, filename: str) -> Path | None:
        """The stored file, or None; names are checked so no path can escape the store."""
        if not _SAFE_NAME.match(filename):
            return None
        candidate = self.root / str(run_id) / filename
        return candidate if candidate.is_file() else None

    @staticmethod
    def content_type(filename: str) -> str:
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"

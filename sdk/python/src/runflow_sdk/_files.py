"""Files to upload: their bytes, name and type, and the chunks a PUT sends them in."""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1024 * 1024
# Above this, `media.upload` uses the three-step flow (its own PUT, no multipart encoding).
MULTIPART_LIMIT_BYTES = 8 * 1024 * 1024

FileSource = str | os.PathLike[str] | bytes


@dataclass(frozen=True)
class UploadFile:
    data: bytes
    filename: str
    content_type: str

    @classmethod
    def of(cls, source: FileSource, filename: str | None = None) -> UploadFile:
        if isinstance(source, bytes):
            name = filename or "upload"
            data = source
        else:
            path = Path(source)
            name = filename or path.name
            data = path.read_bytes()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(data, name, content_type)

    @property
    def size(self) -> int:
        return len(self.data)

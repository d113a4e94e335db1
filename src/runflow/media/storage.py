"""Where media bytes live: a directory under the data dir, or an S3-compatible bucket.

Keys are `"{org_id}/{media_id}"`. Both backends write whole objects or nothing: a reader never
sees half a file, and a failed write leaves no object behind.
"""

from __future__ import annotations

import abc
import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

CHUNK_BYTES = 1024 * 1024
_KEY = re.compile(r"^[0-9a-f-]{36}/[0-9a-f-]{36}$")


class StoredObjectMissing(LookupError):
    """No object is stored under the key (deleted, or never written)."""


class MediaStorage(abc.ABC):
    @abc.abstractmethod
    async def put_file(self, key: str, source: Path, content_type: str) -> None:
        """Store the file at `source` under `key`, replacing what was there."""

    @abc.abstractmethod
    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there."""

    @abc.abstractmethod
    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises `StoredObjectMissing` at once when there is
        none, so a response can still be an error before any byte is sent."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""

    async def read_all(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in await self.open(key)])


class LocalStorage(MediaStorage):
    """Files under `root`, written to a temporary name and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        # Keys are built by the service from two UUIDs; anything else is a bug, never a path.
        if not _KEY.match(key):
            raise ValueError(f"not a media storage key: {key!r}")
        return self.root / key

    def _write(self, key: str, write: bytes | Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            if isinstance(write, Path):
                with write.open("rb") as source, temporary.open("wb") as sink:
                    while chunk := source.read(CHUNK_BYTES):
                        sink.write(chunk)
            else:
                temporary.write_bytes(write)
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)

    async def put_file(self, key: str, source: Path, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, source)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise StoredObjectMissing(key) from None

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
                    yield chunk
            finally:
                file.close()

        return chunks()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

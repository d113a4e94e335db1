"""Incoming bytes land in a temporary file first — counted, hashed and capped as they arrive —
so nothing reaches the media storage before it has been sniffed and accepted."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from runflow.media.sniff import MediaInfo, sniff


class TooLarge(Exception):
    """More bytes arrived than the cap allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file exceeds the {limit}-byte limit")
        self.limit = limit


@dataclass(frozen=True)
class StagedFile:
    path: Path
    size_bytes: int
    sha256: str

    async def sniff(self) -> MediaInfo:
        """Identify the bytes (decoding them is CPU work: done on a thread)."""
        return await asyncio.to_thread(sniff, self.path)


@contextlib.asynccontextmanager
async def staged(
    chunks: AsyncIterable[bytes], *, limit: int, directory: Path
) -> AsyncIterator[StagedFile]:
    """Write `chunks` to a temporary file under `directory`; it is removed on exit, whatever
    happens. Raises `TooLarge` as soon as the running size passes `limit`."""
    handle, path = await asyncio.to_thread(_temporary_file, directory)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as file:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(limit)
                digest.update(chunk)
                file.write(chunk)  # to the page cache: quick enough for the event loop
        yield StagedFile(path, size, digest.hexdigest())
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def _temporary_file(directory: Path) -> tuple[int, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=directory, prefix="incoming-")
    return handle, Path(name)


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data

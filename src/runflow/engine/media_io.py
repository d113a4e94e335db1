"""Media in and out of runs.

In: an `image`/`video` input is a media id of the run's org, an https URL (fetched through
the SSRF guard, capped in size and time) or a `data:` URI. URLs and data URIs become media
objects of the org, and the run's stored input is rewritten to their ids — so the record
says exactly which bytes the run saw, and a retried attempt reads them instead of fetching
again. Anything that does not yield accepted bytes fails the run `INPUT_FETCH_FAILED`.

Out: every file a model produced is stored as a media object of the org, and the output
holds its signed, expiring URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import urllib.parse
import uuid
from collections.abc import Sequence

from sqlalchemy import update

from runflow.catalog.declarations import VariableType
from runflow.engine.providers import Job
from runflow.media import repository
from runflow.media.fetch import FetchFailed, MediaFetcher
from runflow.media.library import MediaLibrary, new_media
from runflow.media.models import Media, MediaSource
from runflow.media.sniff import MediaInfo, MediaRefused
from runflow.media.staging import StagedFile, TooLarge, one_chunk, staged
from runflow.models_builtin.flow import Artifact
from runflow.runs.models import Run


class InputFetchFailed(Exception):
    """A media input could not be turned into accepted bytes."""


class MediaStoreFailed(Exception):
    """The media storage could not keep an input's bytes."""


class OutputStoreFailed(Exception):
    """The storage refused a model's output file."""


def _fits(kind: str, content_type: str, duration_ms: int | None) -> bool:
    if kind == VariableType.VIDEO:
        return content_type.startswith("video/") or duration_ms is not None
    return content_type.startswith("image/")


def _decode_data_uri(value: str) -> bytes:
    header, _, payload = value.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return urllib.parse.unquote_to_bytes(payload)
    except binascii.Error as exc:
        raise InputFetchFailed("the data: URI is not valid base64") from exc


class RunMedia:
    def __init__(self, library: MediaLibrary, fetcher: MediaFetcher) -> None:
        self.library = library
        self.fetcher = fetcher

    async def resolve_inputs(self, job: Job) -> dict[str, bytes]:
        """The bytes of each media input; records new media ids in the run's stored input."""
        resolved: dict[str, bytes] = {}
        recorded: dict[str, str] = {}
        for name, kind in job.media_inputs.items():
            value = job.input.get(name)
            if not isinstance(value, str):
                continue
            try:
                media_id, resolved[name] = await self._resolve(job, kind, value)
            except InputFetchFailed as failed:
                raise InputFetchFailed(f"Input `{name}`: {failed}") from None
            if value != str(media_id):
                recorded[name] = str(media_id)
        if recorded:
            await self._record(job, recorded)
        return resolved

    async def _resolve(self, job: Job, kind: str, value: str) -> tuple[uuid.UUID, bytes]:
        if value.startswith("https://"):
            try:
                async with self.fetcher.fetch(value) as file:
                    media = await self._ingest(job, kind, file, MediaSource.URL, value)
                    data = await asyncio.to_thread(file.path.read_bytes)
            except FetchFailed as failed:
                raise InputFetchFailed(f"{value} could not be fetched: {failed}") from None
            return media.id, data
        if value.startswith("data:"):
            data = _decode_data_uri(value)
            try:
                async with staged(
                    one_chunk(data),
                    limit=self.library.max_bytes,
                    directory=self.library.staging_dir,
                ) as file:
                    media = await self._ingest(job, kind, file, MediaSource.DATA_URI, None)
            except TooLarge as error:
                raise InputFetchFailed(str(error)) from None
            return media.id, data
        return await self._stored(job, kind, value)

    async def _stored(self, job: Job, kind: str, value: str) -> tuple[uuid.UUID, bytes]:
        try:
            media_id = uuid.UUID(value)
        except ValueError:
            raise InputFetchFailed("is not a media id, an https URL or a data: URI") from None
        async with self.library.database.transaction(write=False) as session:
            media = await repository.get_media(session, job.org_id, media_id)
        if media is None:
            raise InputFetchFailed(f"media {media_id} does not exist")
        if not _fits(kind, media.content_type, media.duration_ms):
            raise InputFetchFailed(f"media {media_id} is {media.content_type}, not {kind}")
        try:
            return media.id, await self.library.storage.read_all(media.storage_key)
        except LookupError:
            raise InputFetchFailed(f"media {media_id} has no stored bytes") from None

    async def _ingest(
        self, job: Job, kind: str, file: StagedFile, source: MediaSource, url: str | None
    ) -> Media:
        """Accept the staged bytes as a media object of the run's org; refused bytes are
        never stored."""
        try:
            info = await file.sniff()
        except MediaRefused as refused:
            raise InputFetchFailed(f"the bytes were refused: {refused}") from None
        if not _fits(kind, info.content_type, info.duration_ms):
            raise InputFetchFailed(f"the file is {info.content_type}, not {kind}")
        media = new_media(
            org_id=job.org_id,
            info=info,
            size_bytes=file.size_bytes,
            sha256=file.sha256,
            source=source,
            source_url=url,
            run_id=job.run_id,
        )
        try:
            await self.library.storage.put_file(media.storage_key, file.path, info.content_type)
        except Exception as error:
            raise MediaStoreFailed(f"the input could not be stored: {error}") from error
        try:
            async with self.library.database.transaction() as session:
                session.add(media)
        except BaseException:
            await self.library.storage.delete(media.storage_key)
            raise
        return media

    async def _record(self, job: Job, recorded: dict[str, str]) -> None:
        # Fenced by attempt: a worker that lost its lease must not rewrite the input.
        async with self.library.database.transaction() as session:
            await session.execute(
                update(Run)
                .where(Run.id == job.run_id, Run.attempt == job.attempt)
                .values(input={**job.input, **recorded})
            )

    async def store_outputs(
        self, job: Job, files: dict[str, Artifact | list[Artifact]]
    ) -> dict[str, str | list[str]]:
        """Store every output file as media of the org; their signed URLs, shaped as given."""
        flat: list[tuple[str, Artifact]] = []
        for key, value in files.items():
            flat.extend((key, artifact) for artifact in _as_list(value))
        rows: list[Media] = []
        try:
            for _, artifact in flat:
                digest = await asyncio.to_thread(hashlib.sha256, artifact.data)
                media = new_media(
                    org_id=job.org_id,
                    info=MediaInfo(
                        artifact.content_type,
                        artifact.width,
                        artifact.height,
                        artifact.duration_ms,
                    ),
                    size_bytes=len(artifact.data),
                    sha256=digest.hexdigest(),
                    source=MediaSource.OUTPUT,
                    run_id=job.run_id,
                )
                await self.library.storage.put_bytes(
                    media.storage_key, artifact.data, artifact.content_type
                )
                rows.append(media)
            async with self.library.database.transaction() as session:
                session.add_all(rows)
        except Exception as error:
            for media in rows:
                await self.library.storage.delete(media.storage_key)
            raise OutputStoreFailed(f"an output file could not be stored: {error}") from error
        urls = iter([await self.library.content_url(media.id) for media in rows])
        return {
            key: next(urls) if isinstance(value, Artifact) else [next(urls) for _ in value]
            for key, value in files.items()
        }


def _as_list(value: Artifact | Sequence[Artifact]) -> list[Artifact]:
    return [value] if isinstance(value, Artifact) else list(value)

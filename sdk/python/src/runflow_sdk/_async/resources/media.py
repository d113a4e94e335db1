"""Asynchronous resource: uploaded and generated media."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence

from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._async.resources._resource import AsyncResource
from runflow_sdk._errors import RunflowError
from runflow_sdk._files import CHUNK_BYTES, MULTIPART_LIMIT_BYTES, FileSource, UploadFile
from runflow_sdk._operations import operation
from runflow_sdk._options import new_idempotency_key, query
from runflow_sdk.types import MediaRead, UploadRead

Id = str | uuid.UUID
Progress = Callable[[int, int], object]


class AsyncMedia(AsyncResource):
    async def upload(
        self,
        file: FileSource,
        *,
        folder: str | None = None,
        filename: str | None = None,
        on_progress: Progress | None = None,
        multipart_limit: int = MULTIPART_LIMIT_BYTES,
    ) -> MediaRead:
        """Upload an image or video from a path or bytes. Files up to `multipart_limit` bytes
        go in one multipart request; larger ones through the three-step flow (create an
        upload, PUT the bytes, complete). `on_progress(sent, total)` follows the bytes."""
        upload = UploadFile.of(file, filename)
        if upload.size <= multipart_limit:
            media = await self.create(upload, folder=folder)
            if on_progress:
                on_progress(upload.size, upload.size)
            return media
        pending = await self.create_upload(size_bytes=upload.size, folder=folder)
        await self.put_upload_content(pending, upload, on_progress=on_progress)
        return await self.complete_upload(pending.id)

    @operation("createMedia")
    async def create(
        self,
        file: FileSource | UploadFile,
        *,
        folder: str | None = None,
        idempotency_key: str | None = None,
    ) -> MediaRead:
        """Upload a file in one multipart request (for files up to the server's body limit)."""
        upload = file if isinstance(file, UploadFile) else UploadFile.of(file)
        return await self._client.request(
            MediaRead,
            "POST",
            "/v1/media",
            files={"file": (upload.filename, upload.data, upload.content_type)},
            data=query(folder=folder),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    @operation("createMediaUpload")
    async def create_upload(
        self,
        *,
        size_bytes: int | None = None,
        folder: str | None = None,
        idempotency_key: str | None = None,
    ) -> UploadRead:
        """Step 1 of 3: a signed `upload_url` to PUT the bytes to."""
        body = query(size_bytes=size_bytes, folder=folder)
        return await self._client.create(UploadRead, "/v1/media/uploads", body, idempotency_key)

    @operation("putMediaUploadContent")
    async def put_upload_content(
        self,
        upload: UploadRead,
        file: FileSource | UploadFile,
        *,
        on_progress: Progress | None = None,
    ) -> UploadRead:
        """Step 2 of 3: send the bytes to the upload's signed URL (no API key is sent)."""
        source = file if isinstance(file, UploadFile) else UploadFile.of(file)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, source.size, CHUNK_BYTES):
                chunk = source.data[start : start + CHUNK_BYTES]
                yield chunk
                if on_progress:
                    on_progress(start + len(chunk), source.size)

        return await self._client.request(
            UploadRead,
            "PUT",
            upload.upload_url,
            content=chunks,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(source.size),
            },
            authenticated=False,
        )

    @operation("completeMediaUpload")
    async def complete_upload(self, upload_id: Id) -> MediaRead:
        """Step 3 of 3: turn the received bytes into a media object (repeating it is safe)."""
        return await self._client.request(
            MediaRead, "POST", f"/v1/media/uploads/{upload_id}/complete", retry_safe=True
        )

    @operation("getMedia")
    async def get(self, media_id: Id) -> MediaRead:
        """One media object, with a fresh signed `url`."""
        return await self._client.request(MediaRead, "GET", f"/v1/media/{media_id}")

    @operation("listMedia")
    def list(
        self,
        *,
        folder: str | None = None,
        q: str | None = None,
        sort_by: str | None = None,
        fields: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> AsyncPager[MediaRead]:
        """This organization's media, optionally in one `folder`."""
        return self._pager(
            "/v1/media",
            MediaRead,
            q=q,
            sort_by=sort_by,
            fields=fields,
            embed=None,
            limit=limit,
            folder=folder,
        )

    @operation("updateMedia")
    async def update(self, media_id: Id, *, folder: str | None) -> MediaRead:
        """Move the media to `folder` (`None`: out of any folder)."""
        return await self._client.request(
            MediaRead, "PATCH", f"/v1/media/{media_id}", json={"folder": folder}
        )

    @operation("deleteMedia")
    async def delete(self, media_id: Id) -> None:
        """Delete the media object and its bytes."""
        await self._client.send("DELETE", f"/v1/media/{media_id}")

    @operation("getMediaContent")
    async def download(self, media: MediaRead | Id) -> bytes:
        """The stored bytes, read through the media's signed URL."""
        if not isinstance(media, MediaRead) or not media.url:
            media = await self.get(media.id if isinstance(media, MediaRead) else media)
        if not media.url:
            raise RunflowError(f"Media {media.id} has no download URL.")
        response = await self._client.send("GET", media.url, authenticated=False)
        return response.content

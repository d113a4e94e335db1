"""Media endpoints: upload (direct or in three steps), read, list, move, delete, download."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    Path,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from runflow.auth.dependencies import Reader, Writer
from runflow.callbacks.dependencies import CallbackOutbox
from runflow.db.dependencies import ReadSession, WriteSession
from runflow.errors import ERROR_RESPONSES, ErrorResponse, Forbidden, ForbiddenCode, NotFound
from runflow.idempotency.http import create_once
from runflow.kit.http import IdempotencyKey, JsonBody, StrictJsonRoute
from runflow.media import listing, repository, service
from runflow.media.dependencies import Library
from runflow.media.schemas import (
    Folder,
    MediaPage,
    MediaRead,
    MediaUpdate,
    UploadCreate,
    UploadRead,
)
from runflow.media.signing import DOWNLOAD, UPLOAD
from runflow.media.storage import CHUNK_BYTES, StoredObjectMissing
from runflow.query.listing import Cursors, ListQuery, page_response

router = APIRouter(
    tags=["Media"],
    responses=ERROR_RESPONSES,
    route_class=StrictJsonRoute,
)

MediaIdPath = Annotated[uuid.UUID, Path(alias="id", title="Media Id")]
UploadIdPath = Annotated[uuid.UUID, Path(alias="id", title="Upload Id")]
Expires = Annotated[str | None, Query(description="Expiry of a signed URL (Unix seconds)")]
Signature = Annotated[str | None, Query(description="Signature of a signed URL")]

_TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The file is over the size limit"}
}


class _DirectUpload(BaseModel):
    """What makes two direct uploads the same request, for `Idempotency-Key`."""

    sha256: str
    folder: str | None
    filename: str | None


def _check_signature(problem: str | None) -> None:
    """403 unless the signed URL's signature verified (`problem` is None)."""
    if problem is not None:
        raise Forbidden(
            ForbiddenCode.PERMISSION_DENIED,
            f"This URL {problem}. Read the object again with your API key for a fresh URL.",
        )


async def _file_chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(CHUNK_BYTES):
        yield chunk


@router.post(
    "/v1/media",
    summary="Upload a media file",
    operation_id="createMedia",
    status_code=status.HTTP_201_CREATED,
    response_model=MediaRead,
    responses=_TOO_LARGE,
)
async def create_media(
    request: Request,
    session: WriteSession,
    principal: Writer,
    library: Library,
    idempotency_key: IdempotencyKey,
    outbox: CallbackOutbox,
    file: Annotated[
        UploadFile,
        File(
            description="The image or video (multipart field): a PNG, JPEG, WebP or GIF image, "
            "or an MP4 or QuickTime video, recognised by its content",
            json_schema_extra={"minLength": 1},
        ),
    ],
    folder: Annotated[Folder | None, Form()] = None,
) -> Response:
    """Upload an image or video as multipart form data (field `file`, optional `folder`)."""
    async with service.staged_upload(library, _file_chunks(file)) as staged:
        return await create_once(
            request,
            session,
            org_id=principal.org_id,
            key=idempotency_key,
            body=_DirectUpload(sha256=staged.sha256, folder=folder, filename=file.filename),
            create=lambda: service.create_media(
                session,
                library,
                principal,
                staged,
                outbox,
                folder=folder,
                declared_type=file.content_type,
            ),
            after_commit=outbox.notify_sender,
        )


@router.get("/v1/media", summary="List media", operation_id="listMedia", response_model=MediaPage)
async def list_media(
    params: ListQuery,
    codec: Cursors,
    session: ReadSession,
    principal: Reader,
    library: Library,
    folder: Annotated[Folder | None, Query(description="Only media in this folder")] = None,
) -> Response:
    """Your organization's media, newest first unless sorted, optionally one folder's."""
    page, fields = await listing.list_media(
        session, library, principal, params, codec, folder=folder
    )
    return page_response(page, fields)


# `{id:uuid}`: only an id matches, so `/v1/media/uploads` is never taken for a media id and
# a method it does not serve is a 405 naming the methods it does, not a 422 about the id.
@router.get("/v1/media/{id:uuid}", summary="Get media", operation_id="getMedia")
async def get_media(
    media_id: MediaIdPath, session: ReadSession, principal: Reader, library: Library
) -> MediaRead:
    """A media object with a fresh signed download URL."""
    return await service.read_media(session, library, principal, media_id)


@router.patch(
    "/v1/media/{id:uuid}", summary="Move media", operation_id="updateMedia", dependencies=[JsonBody]
)
async def update_media(
    media_id: MediaIdPath,
    body: MediaUpdate,
    session: WriteSession,
    principal: Writer,
    library: Library,
) -> MediaRead:
    """Put a media object in another folder (or in none)."""
    return await service.move_media(session, library, principal, media_id, body.folder)


@router.delete(
    "/v1/media/{id:uuid}",
    summary="Delete media",
    operation_id="deleteMedia",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_media(
    media_id: MediaIdPath,
    session: WriteSession,
    principal: Writer,
    library: Library,
    background: BackgroundTasks,
) -> Response:
    """Delete a media object; its URLs stop working at once."""
    key = await service.delete_media(session, principal, media_id)
    # The stored bytes go after the row's delete committed: a failed commit keeps both.
    background.add_task(library.storage.delete, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/media/{id}/content",
    summary="Download media",
    operation_id="getMediaContent",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The stored bytes, typed as uploaded (`application/octet-stream` "
            "when the request accepts only that).",
            "content": {
                "image/*": {"schema": {"type": "string", "format": "binary"}},
                "video/*": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def get_media_content(
    request: Request,
    media_id: MediaIdPath,
    session: ReadSession,
    library: Library,
    expires: Expires = None,
    signature: Signature = None,
) -> StreamingResponse:
    """The bytes, for anyone holding a signed URL that has not expired (no API key)."""
    _check_signature((await library.signer()).verify(DOWNLOAD, media_id, expires, signature))
    media = await repository.get_media_any_org(session, media_id)
    if media is None:
        raise NotFound(f"Media {media_id} does not exist.")
    try:
        chunks = await library.storage.open(media.storage_key)
    except StoredObjectMissing:
        raise NotFound(f"Media {media_id} does not exist.") from None
    return StreamingResponse(
        chunks,
        media_type=_served_type(media.content_type, request.headers.get("accept", "")),
        headers={
            "Content-Length": str(media.size_bytes),
            "ETag": f'"{media.sha256}"',
            "Cache-Control": "private, max-age=3600",
            # Never let a browser reinterpret the bytes as something else (HTML, script).
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _served_type(content_type: str, accept: str) -> str:
    """The media's own type, unless the client asked for `application/octet-stream` and for
    nothing that matches the media (download tools and generated clients that want raw bytes)."""
    wanted = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    major = content_type.split("/", 1)[0]
    if "application/octet-stream" in wanted and not wanted & {content_type, f"{major}/*", "*/*"}:
        return "application/octet-stream"
    return content_type


@router.post(
    "/v1/media/uploads",
    summary="Start a large upload",
    operation_id="createMediaUpload",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadRead,
    dependencies=[JsonBody],
    responses=_TOO_LARGE,
)
async def create_upload(
    body: UploadCreate,
    request: Request,
    session: WriteSession,
    principal: Writer,
    library: Library,
    idempotency_key: IdempotencyKey,
) -> Response:
    """Step 1 of 3: get a signed `upload_url` to `PUT` the file's bytes to."""
    return await create_once(
        request,
        session,
        org_id=principal.org_id,
        key=idempotency_key,
        body=body,
        create=lambda: service.create_upload(session, library, principal, body),
    )


@router.put(
    "/v1/media/uploads/{id}/content",
    summary="Send an upload's bytes",
    operation_id="putMediaUploadContent",
    responses=_TOO_LARGE,
    # The body is read as a stream, not through a parameter, so it is declared here.
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes, as they are: an image or a video.",
            "content": {
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary", "minLength": 1}
                }
            },
        }
    },
)
async def put_upload_content(
    upload_id: UploadIdPath,
    request: Request,
    library: Library,
    expires: Expires = None,
    signature: Signature = None,
) -> UploadRead:
    """Step 2 of 3: the raw file as the request body, to the signed URL (no API key)."""
    _check_signature((await library.signer()).verify(UPLOAD, upload_id, expires, signature))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > library.max_bytes:
        raise service.too_large(library.max_bytes)
    return await service.receive_upload(library, upload_id, request.stream())


@router.post(
    "/v1/media/uploads/{id}/complete",
    summary="Complete a large upload",
    operation_id="completeMediaUpload",
    status_code=status.HTTP_201_CREATED,
    response_model=MediaRead,
    responses={409: ERROR_RESPONSES[400] | {"description": "No bytes uploaded yet"}},
)
async def complete_upload(
    upload_id: UploadIdPath,
    session: WriteSession,
    principal: Writer,
    library: Library,
    outbox: CallbackOutbox,
) -> Response:
    """Step 3 of 3: turn the received bytes into a media object (repeating it returns it)."""
    media, created = await service.complete_upload(session, library, principal, upload_id, outbox)
    return JSONResponse(
        media.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        background=BackgroundTask(outbox.notify_sender) if created else None,
    )

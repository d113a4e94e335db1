"""`GET /v1/media`: the organization's media through the query kit, newest first.

Ids are UUIDv7, ordered by creation time, so the default `id:desc` is "newest first" served by
the `(org_id, id)` and `(org_id, folder, id)` indexes.
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.media.library import MediaLibrary
from runflow.media.models import Media, MediaSource
from runflow.media.schemas import MediaPage, MediaRead
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field, Kind
from runflow.query.listing import Listing, ListParams, read_list
from runflow.query.projection import Columns

_COLUMNS: Columns = {
    **{name: getattr(Media, name) for name in MediaRead.model_fields if hasattr(Media, name)},
    "url": (Media.id,),
    "url_expires_at": (Media.id,),
}

MEDIA = Listing(
    name="media",
    filters={
        "id": Field(Media.id, Kind.UUID, sortable=True, unique=True),
        "folder": Field(Media.folder, Kind.STRING, nullable=True, sortable=True),
        "content_type": Field(Media.content_type, Kind.STRING, sortable=True),
        "size_bytes": Field(Media.size_bytes, Kind.INTEGER, sortable=True),
        "sha256": Field(Media.sha256, Kind.STRING),
        "width": Field(Media.width, Kind.INTEGER, nullable=True, sortable=True),
        "height": Field(Media.height, Kind.INTEGER, nullable=True, sortable=True),
        "duration_ms": Field(Media.duration_ms, Kind.INTEGER, nullable=True, sortable=True),
        "source_code": Field(Media.source_code, Kind.ENUM, choices=tuple(MediaSource)),
        "run_id": Field(Media.run_id, Kind.UUID, nullable=True),
        "created_at": Field(Media.created_at, Kind.TIMESTAMP, sortable=True),
    },
    default_sort="id:desc",
    columns=_COLUMNS,
)


async def list_media(
    session: AsyncSession,
    library: MediaLibrary,
    principal: Principal,
    params: ListParams,
    codec: CursorCodec,
    *,
    folder: str | None,
) -> tuple[MediaPage, frozenset[str]]:
    """One page of the org's media, or of one folder's (`folder` binds the cursors too)."""
    org_id = principal.org_id
    where = Media.org_id == org_id
    if folder is not None:
        where = and_(where, Media.folder == folder)
    listed = await read_list(
        session, MEDIA, params, codec, parent=org_id, where=where, bound={"folder": folder}
    )
    request = listed.request
    if request.wants("url") or request.wants("url_expires_at"):
        signer = await library.signer()
        for values, row in zip(listed.values, listed.rows, strict=True):
            values["url"], values["url_expires_at"] = signer.content_url(row["id"], library.url_ttl)
    items = [MediaRead.model_construct(**values) for values in listed.values]
    return MediaPage(items=items, **listed.cursors), request.fields

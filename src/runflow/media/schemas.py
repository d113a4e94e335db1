"""Request and response bodies of the media endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from runflow.kit.schemas import WHOLE_FLOATS, CursorPage

# Names start with a letter, digit or `_`, so no segment is `.` or `..`.
FOLDER_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*(/[A-Za-z0-9_][A-Za-z0-9_.\- ]*)*$"

Folder = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=FOLDER_PATTERN),
    Field(
        description="A folder path such as `campaigns/spring`: names of letters, digits, "
        "spaces, `_`, `.` and `-` (starting with a letter, digit or `_`), separated by `/`.",
        examples=["campaigns/spring"],
    ),
]


class MediaRead(BaseModel):
    """A stored image or video. `url` downloads it without an API key until `url_expires_at`;
    read the object again for a fresh URL."""

    id: uuid.UUID
    url: str
    url_expires_at: datetime
    content_type: str = Field(description="Sniffed from the bytes, not taken from the client.")
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    duration_ms: int | None = Field(description="Videos and animated images only.")
    folder: str | None
    source_code: str = Field(description="`upload`, `url`, `data_uri` or `output`.")
    source_url: str | None = Field(description="The URL it was fetched from (`url` only).")
    run_id: uuid.UUID | None = Field(
        description="The run that produced it (outputs) or fetched it (URL and data: inputs)."
    )
    created_at: datetime


class MediaPage(CursorPage):
    """A page of media, newest first unless sorted, with keyset cursors for `pq`."""

    items: list[MediaRead]


class MediaUpdate(BaseModel):
    """Move a media object to another folder (`null`: out of every folder)."""

    model_config = ConfigDict(extra="forbid")

    folder: Folder | None


class UploadCreate(BaseModel):
    """Start a three-step upload for a file too large for `POST /v1/media`."""

    model_config = ConfigDict(extra="forbid")

    folder: Folder | None = None
    size_bytes: Annotated[int, Strict(), Field(ge=1), WHOLE_FLOATS] | None = Field(
        default=None, description="The file's size, if known: refused at once when over."
    )


class UploadRead(BaseModel):
    """A pending upload: `PUT` the raw bytes to `upload_url`, then `POST …/complete`."""

    id: uuid.UUID
    status_code: str = Field(description="`pending` until the bytes arrive, then `received`.")
    upload_url: str
    upload_method: str = "PUT"
    expires_at: datetime
    max_bytes: int
    folder: str | None
    content_type: str | None
    size_bytes: int | None
    sha256: str | None
    created_at: datetime

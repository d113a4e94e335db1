"""The app's `MediaLibrary`: built when the app starts, after the database is up.

Its URL-signing secret is read (or created) then, in a transaction of its own: reading it
lazily inside a request would nest a second write transaction in the request's own, which
SQLite's single writer cannot grant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.media.library import MediaLibrary, media_storage


async def open_media_library(settings: Settings, database: Database) -> MediaLibrary:
    """The app's library, its signing secret read or created, for `app.state.media_library`."""
    library = MediaLibrary(settings, database, media_storage(settings))
    await library.signer()
    return library


async def get_media_library(request: Request) -> MediaLibrary:
    library: MediaLibrary = request.app.state.media_library
    return library


Library = Annotated[MediaLibrary, Depends(get_media_library)]

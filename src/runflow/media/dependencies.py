"""The app's `MediaLibrary`: built when the app starts, after the database is up.

Its URL-signing secret is read (or created) then, in a transaction of its own: reading it
lazily inside a request would nest a second write transaction in the request's own, which
SQLite's single writer cannot grant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from runflow.config import Settings
from runflow.media.library import MediaLibrary, media_storage


@asynccontextmanager
async def media_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    library = MediaLibrary(settings, app.state.database, media_storage(settings))
    await library.signer()
    app.state.media_library = library
    yield


async def get_media_library(request: Request) -> MediaLibrary:
    library: MediaLibrary = request.app.state.media_library
    return library


Library = Annotated[MediaLibrary, Depends(get_media_library)]

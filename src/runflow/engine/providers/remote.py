"""What remote providers (Cog, ComfyUI) share: how a job's outcome or the exception that
stopped it becomes the one `Finished` or `Failed` that ends its events (DESIGN §5)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import structlog

from runflow.engine.media_io import InputFetchFailed, MediaStoreFailed, OutputStoreFailed
from runflow.engine.providers import Failed, Finished, Job, ProviderEvent

log = structlog.get_logger(__name__)


class Unavailable(Exception):
    """The server cannot be reached, is not ready or busy, or lost the job: worth another
    attempt (`PROVIDER_UNAVAILABLE`, retried per the model's `max_retries`)."""


class Misbehaved(Exception):
    """The server answered something its protocol does not allow (`PROVIDER_ERROR`)."""


async def settle(
    job: Job, outcome: Awaitable[Finished | Failed], events: asyncio.Queue[ProviderEvent]
) -> None:
    """Put the job's outcome on `events`, or the failure that stopped it."""
    try:
        events.put_nowait(await outcome)
    except asyncio.CancelledError:
        raise
    except Unavailable as exc:
        events.put_nowait(Failed("PROVIDER_UNAVAILABLE", str(exc), "dispatch", retryable=True))
    except Misbehaved as exc:
        events.put_nowait(Failed("PROVIDER_ERROR", str(exc), "dispatch"))
    except InputFetchFailed as exc:
        events.put_nowait(Failed("INPUT_FETCH_FAILED", str(exc), "dispatch"))
    except MediaStoreFailed as exc:
        events.put_nowait(Failed("MEDIA_STORE_FAILED", str(exc), "dispatch", retryable=True))
    except OutputStoreFailed as exc:
        events.put_nowait(Failed("OUTPUT_STORE_FAILED", str(exc), "output", retryable=True))
    except Exception as exc:
        log.exception("provider_crashed", run_id=str(job.run_id), model=job.model)
        message = f"The run failed to execute ({type(exc).__name__})."
        events.put_nowait(Failed("INTERNAL_ERROR", message))

"""Fetching media inputs from customers' https URLs, through the SSRF guard.

Every hop is vetted by `EgressGuard` and connected to the address that was checked; redirects
are followed by hand (at most `max_redirects`, https only) so each new location is vetted too.
The whole fetch — every hop and the entire body — must finish within `timeout_s`, and the body
may not exceed `max_bytes`: a server that trickles forever or sends too much is cut off, and
the partial file is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from runflow.kit.egress import EgressGuard, EgressRefused
from runflow.media.staging import StagedFile, TooLarge, staged

_REDIRECTS = {301, 302, 303, 307, 308}


class FetchFailed(Exception):
    """The URL did not yield a file; the message says why, in the customer's terms."""


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Certificates are always verified: against `ca_bundle` when set, else the system store."""
    if ca_bundle is not None:
        return ssl.create_default_context(cafile=str(ca_bundle))
    return ssl.create_default_context()


class MediaFetcher:
    def __init__(
        self,
        guard: EgressGuard,
        *,
        timeout_s: float,
        max_bytes: int,
        max_redirects: int,
        staging_dir: Path,
        ca_bundle: Path | None = None,
    ) -> None:
        self.guard = guard
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.staging_dir = staging_dir
        # trust_env=False: a proxy from the environment would connect on our behalf to
        # whatever the name resolves to then, bypassing the pinned, vetted address.
        self._client = httpx.AsyncClient(
            verify=tls_context(ca_bundle),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout_s),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    @contextlib.asynccontextmanager
    async def fetch(self, url: str) -> AsyncIterator[StagedFile]:
        """The body of `url` as a staged file, deleted when the block exits."""
        async with contextlib.AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(self.timeout_s):
                    file = await self._download(url, stack)
            except TimeoutError:
                raise FetchFailed(
                    f"the download did not finish within {self.timeout_s:g} s"
                ) from None
            except EgressRefused as refused:
                raise FetchFailed(f"the URL {refused}") from None
            except TooLarge as error:
                raise FetchFailed(str(error)) from None
            except httpx.HTTPError as error:
                raise FetchFailed(f"the download failed ({type(error).__name__})") from None
            yield file

    async def _download(self, url: str, stack: contextlib.AsyncExitStack) -> StagedFile:
        for _ in range(self.max_redirects + 1):
            target = await self.guard.check(url)
            if target.url.scheme != "https":
                raise FetchFailed("only https URLs are fetched (a redirect led to http)")
            pinned_url, headers, extensions = target.pinned()
            request = self._client.build_request(
                "GET", pinned_url, headers=headers, extensions=extensions
            )
            response = await self._client.send(request, stream=True)
            stack.push_async_callback(response.aclose)
            if response.status_code in _REDIRECTS and "location" in response.headers:
                url = str(target.url.join(response.headers["location"]))
                await response.aclose()
                continue
            if response.status_code != 200:
                raise FetchFailed(f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise TooLarge(self.max_bytes)
            return await stack.enter_async_context(
                staged(response.aiter_bytes(), limit=self.max_bytes, directory=self.staging_dir)
            )
        raise FetchFailed(f"more than {self.max_redirects} redirects")

"""Synchronous lists that follow their cursors: iterate the rows of every page, or the pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from runflow_sdk._parse import Page, parse
from runflow_sdk._sync.client import SyncAPIClient

T = TypeVar("T")


class Pager(Generic[T]):
    """A list operation with its filters. Nothing is requested until it is iterated.

    `async for row in pager` walks every row across pages; `pages()` yields whole pages;
    `first_page()` reads one. Each page is one request (`limit` rows, at most 500).
    """

    def __init__(
        self, client: SyncAPIClient, path: str, item_type: type[T], params: dict[str, Any]
    ) -> None:
        self._client = client
        self._path = path
        self._item_type = item_type
        self._params = params

    def first_page(self) -> Page[T]:
        """The first page only."""
        return self._page(None)

    def pages(self) -> Iterator[Page[T]]:
        """Every page, following `next` until the last."""
        cursor: str | None = None
        while True:
            page = self._page(cursor)
            yield page
            if not page.next or not page.items:
                return
            cursor = page.next

    def __iter__(self) -> Iterator[T]:
        return self._rows()

    def _rows(self) -> Iterator[T]:
        for page in self.pages():
            for row in page.items:
                yield row

    def _page(self, cursor: str | None) -> Page[T]:
        params = self._params if cursor is None else self._params | {"pq": cursor}
        response = self._client.send("GET", self._path, params=params)
        return parse(Page[self._item_type], response.content)  # type: ignore[name-defined]

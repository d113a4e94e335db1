"""Asynchronous resources: what every resource holds, and the list filters they share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from runflow_sdk._async.client import AsyncAPIClient
from runflow_sdk._async.pagination import AsyncPager
from runflow_sdk._options import query

T = TypeVar("T")


class AsyncResource:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    def _pager(
        self,
        path: str,
        item_type: type[T],
        *,
        q: str | None,
        sort_by: str | None,
        fields: str | Sequence[str] | None,
        embed: str | None,
        limit: int | None,
        **extra: Any,
    ) -> AsyncPager[T]:
        """A list with the query kit's filters (DESIGN §7): `q`, `sort_by`, `fields`, `embed`;
        `limit` is the page size."""
        projection = fields if fields is None or isinstance(fields, str) else ",".join(fields)
        params = query(q=q, sort_by=sort_by, fields=projection, embed=embed, limit=limit, **extra)
        return AsyncPager(self._client, path, item_type, params)

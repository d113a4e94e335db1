"""One way to list anything: `q`, `sort_by`, `fields`, `embed`, `limit` and keyset cursors.

A resource declares a `Listing` (what can be filtered, sorted, projected and embedded); its
endpoint takes `ListParams` and reads a page with `read_list()` — or, when it needs more than
one table's columns, plans it with `plan()` and reads its own statement with `fetch_page()`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, RowMapping, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.errors import BadRequest
from runflow.query import language
from runflow.query.cursor import CursorCodec
from runflow.query.fields import Field
from runflow.query.filtering import compile_filter
from runflow.query.language import QueryError
from runflow.query.projection import Columns, select_columns, values_of
from runflow.query.sorting import Sort, parse_sort

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Listing:
    """What callers may do with one list endpoint."""

    name: str
    filters: Mapping[str, Field]
    default_sort: str
    columns: Columns
    embeds: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """The output fields `fields=` may name."""
        return tuple(self.columns)


@dataclass(frozen=True)
class ListParams:
    """The query parameters every list endpoint takes, named and described as the contract does."""

    q: str | None
    limit: int
    sort_by: str | None
    fields: str | None
    embed: str | None
    pq: str | None
    from_prev: bool


async def _list_params(
    q: Annotated[str | None, Query(description="ANTLR filter expression")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="Page size")] = None,
    sort_by: Annotated[
        str | None, Query(description="Sort expression (e.g. created_at:desc)")
    ] = None,
    fields: Annotated[str | None, Query(description="Field projection (e.g. id,name)")] = None,
    embed: Annotated[
        str | None,
        Query(
            description="Relation embedding. Use a comma-separated list to request multiple embeds."
        ),
    ] = None,
    pq: Annotated[
        str | None,
        # A cursor is never empty; the declared minimum matches the 400 an empty one gets.
        Query(description="Pagination cursor query", json_schema_extra={"minLength": 1}),
    ] = None,
    from_prev: Annotated[bool, Query(description="Backward pagination flag")] = False,
) -> ListParams:
    return ListParams(q, limit or DEFAULT_LIMIT, sort_by, fields, embed, pq, from_prev)


ListQuery = Annotated[ListParams, Depends(_list_params)]


async def cursor_codec(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursor_codec
    return codec


Cursors = Annotated[CursorCodec, Depends(cursor_codec)]


@dataclass(frozen=True)
class PageRequest:
    where: ColumnElement[bool] | None
    sort: Sort
    fields: frozenset[str]
    embeds: frozenset[str]
    limit: int
    boundary: list[Any] | None
    backwards: bool
    scope: dict[str, Any]

    def wants(self, name: str) -> bool:
        return name in self.fields


@dataclass(frozen=True)
class Page:
    rows: list[Row[Any]]
    first: str
    next: str | None
    previous: str | None


def plan(
    listing: Listing,
    params: ListParams,
    *,
    parent: uuid.UUID,
    codec: CursorCodec,
    bound: Mapping[str, Any] | None = None,
) -> PageRequest:
    """Check every parameter (400 for anything unusable) and resolve the page to read.

    Cursors are bound to the list, its parent, `q`, the sort and whatever else narrows the
    list (`bound`, e.g. a folder)."""
    tree = language.parse(params.q or "")
    where = None if tree is None else compile_filter(tree, listing.filters)
    sort = parse_sort(params.sort_by, listing.filters, listing.default_sort)
    scope = {
        "list": listing.name,
        "parent": str(parent),
        "q": (params.q or "").strip(),
        "sort": sort.text,
        **(bound or {}),
    }
    boundary: list[Any] | None = None
    if params.pq is not None:
        key = codec.decode(params.pq, scope=scope)
        if key:
            try:
                boundary = sort.decode(key)
            except (ValueError, TypeError):
                raise BadRequest(
                    "The pagination cursor `pq` is invalid.",
                    errors=[{"loc": ["query", "pq"], "msg": "invalid cursor", "type": "cursor"}],
                ) from None
    return PageRequest(
        where=where,
        sort=sort,
        fields=_names(params.fields, listing.fields, "fields", always={"id"}),
        embeds=_names(params.embed, listing.embeds, "embed", always=set()),
        limit=params.limit,
        boundary=boundary,
        backwards=params.from_prev and boundary is not None,
        scope=scope,
    )


def _names(
    text: str | None, known: tuple[str, ...], parameter: str, always: set[str]
) -> frozenset[str]:
    if text is None or not text.strip():
        return frozenset(known) if parameter == "fields" else frozenset()
    names = {name.strip() for name in text.split(",")}
    unknown = sorted(names - set(known))
    if unknown:
        offered = ", ".join(known) or "none"
        raise QueryError(
            f"unknown {parameter} {', '.join(map(repr, unknown))}; available: {offered}",
            None,
            parameter,
        )
    return frozenset(names | always)


def page_response(page: BaseModel, item_fields: Collection[str]) -> Response:
    """A page envelope as JSON, its items cut down to the projected fields."""
    include: dict[str, Any] = {
        "items": {"__all__": set(item_fields)},
        "first": True,
        "next": True,
        "previous": True,
    }
    return Response(page.model_dump_json(include=include), media_type="application/json")


async def fetch_page(
    session: AsyncSession, statement: Select[Any], request: PageRequest, codec: CursorCodec
) -> Page:
    """One page of `statement` (already scoped to its parent), filtered, sorted and sought."""
    sort = request.sort
    statement = statement.add_columns(*sort.key_columns())
    if request.where is not None:
        statement = statement.where(request.where)
    if request.boundary is not None:
        statement = statement.where(sort.seek(request.boundary, backwards=request.backwards))
    statement = statement.order_by(*sort.order_by(backwards=request.backwards))
    rows = list((await session.execute(statement.limit(request.limit + 1))).all())
    has_more = len(rows) > request.limit
    rows = rows[: request.limit]
    if request.backwards:
        rows.reverse()
    # A page read forward from a boundary has rows before it; read backward, rows after it.
    more_after = request.backwards or has_more
    more_before = has_more if request.backwards else request.boundary is not None

    def cursor_at(row: Row[Any]) -> str:
        return codec.encode(scope=request.scope, key=sort.boundary_of(row._mapping))

    return Page(
        rows=rows,
        first=codec.encode(scope=request.scope, key=[]),
        next=cursor_at(rows[-1]) if rows and more_after else None,
        previous=cursor_at(rows[0]) if rows and more_before else None,
    )


@dataclass(frozen=True)
class Listed:
    """A page read through its listing: each row's column-field values, and the cursors."""

    request: PageRequest
    rows: list[RowMapping]
    values: list[dict[str, Any]]
    cursors: dict[str, str | None]


async def read_list(
    session: AsyncSession,
    listing: Listing,
    params: ListParams,
    codec: CursorCodec,
    *,
    parent: uuid.UUID,
    where: ColumnElement[bool],
    bound: Mapping[str, Any] | None = None,
) -> Listed:
    """One page of `listing`'s table rows matching `where` (its parent scope)."""
    request = plan(listing, params, parent=parent, codec=codec, bound=bound)
    statement = select(*select_columns(listing.columns, request.fields)).where(where)
    page = await fetch_page(session, statement, request, codec)
    rows = [row._mapping for row in page.rows]
    return Listed(
        request=request,
        rows=rows,
        values=[values_of(row, listing.columns, request.fields) for row in rows],
        cursors={"first": page.first, "next": page.next, "previous": page.previous},
    )

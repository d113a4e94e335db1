"""Shared by the query-kit tests: batches with varied run state, page walks, a reference model.

Run state (status, cost, timestamps, failure) is written straight onto `runs` rows: the list
endpoint only reads it, so there is no need to wait for the engine to produce it.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update

from runflow.batches.models import BatchItem
from runflow.db.engine import Database
from runflow.runs.models import Run
from tests.batches.helpers import create_batch

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
STAGES = ("validation", "dispatch", "execution", "output")
FAILURE_CODES = ("TIMEOUT", "MODEL_ERROR", "MODEL_ERROR_OOM", "INTERNAL_ERROR")
COSTS = (
    Decimal("0"),
    Decimal("0.0001"),
    Decimal("0.5"),
    Decimal("1.5"),
    Decimal("2"),
    Decimal("10.123456789"),
)
BASE_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Shared prefixes, case differences, a quote, a backslash, a space, non-ASCII, and nulls.
CLIENT_REFS: tuple[str | None, ...] = (
    "alpha",
    "alpha-1",
    "alpha-10",
    "alpha-2",
    "Alpha",
    "al",
    "beta",
    "beta.7",
    'quote"d',
    "back\\slash",
    "with space",
    "élan",
    None,
    None,
)

# Item fields the reference model knows, by their `q` names.
Row = dict[str, Any]


@dataclass
class Dataset:
    """One batch whose runs have varied state, and the same rows as plain Python values."""

    batch_id: str
    rows: list[Row] = field(default_factory=list)

    def by_id(self) -> dict[str, Row]:
        return {str(row["id"]): row for row in self.rows}


def _random_state(rng: random.Random) -> dict[str, Any]:
    status = rng.choice(STATUSES)
    started = None if status == "queued" or rng.random() < 0.15 else rng.randrange(0, 3600)
    completed = None
    if status in ("succeeded", "failed", "cancelled") and started is not None:
        completed = started + rng.randrange(0, 7200)
    failed = status == "failed"
    return {
        "status_code": status,
        "cost": rng.choice((None, *COSTS)),
        "started_at": None if started is None else BASE_TIME + timedelta(seconds=started),
        "completed_at": None if completed is None else BASE_TIME + timedelta(seconds=completed),
        "failure_code": rng.choice(FAILURE_CODES) if failed or rng.random() < 0.1 else None,
        "failure_stage_code": rng.choice(STAGES) if failed else None,
        "duration_ms": rng.choice((None, 0, 5, 250, 1000, 1000, 99_999)),
        "attempt": rng.randrange(0, 4),
    }


async def set_runs(database: Database, changes: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
    """Write these column values onto these runs."""
    async with database.transaction() as session:
        for run_id, values in changes.items():
            await session.execute(update(Run).where(Run.id == run_id).values(**values))


async def set_items(database: Database, changes: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
    async with database.transaction() as session:
        for item_id, values in changes.items():
            await session.execute(update(BatchItem).where(BatchItem.id == item_id).values(**values))


async def make_dataset(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    *,
    size: int = 60,
    seed: int = 5,
    refs: Sequence[str | None] = CLIENT_REFS,
) -> Dataset:
    """A batch of `size` echo items with client refs cycling through `refs` and random run
    state; created_at spread over a few equal values so sorts on it have ties."""
    rng = random.Random(seed)
    inputs: list[dict[str, Any]] = []
    for i in range(size):
        ref = refs[i % len(refs)]
        entry: dict[str, Any] = {"message": f"m{i}"}
        if ref is not None:
            entry["client_ref"] = ref
        inputs.append(entry)
    created = await create_batch(client, auth, inputs)
    dataset = Dataset(batch_id=created["id"])
    run_changes: dict[uuid.UUID, dict[str, Any]] = {}
    item_changes: dict[uuid.UUID, dict[str, Any]] = {}
    for handle in created["items"]:
        state = _random_state(rng)
        created_at = BASE_TIME - timedelta(minutes=rng.randrange(0, 4))
        run_changes[uuid.UUID(handle["run_id"])] = state
        item_changes[uuid.UUID(handle["id"])] = {"created_at": created_at}
        dataset.rows.append(
            {
                "id": uuid.UUID(handle["id"]),
                "sequence_index": handle["sequence_index"],
                "run_id": uuid.UUID(handle["run_id"]),
                "client_ref": handle["client_ref"],
                "created_at": created_at,
                "status_code": state["status_code"],
                "started_at": state["started_at"],
                "completed_at": state["completed_at"],
                "cost": state["cost"],
                "run.failure_code": state["failure_code"],
                "run.failure_stage_code": state["failure_stage_code"],
                "run.duration_ms": state["duration_ms"],
                "run.attempt": state["attempt"],
            }
        )
    await set_runs(database, run_changes)
    await set_items(database, item_changes)
    return dataset


async def get_page(
    client: httpx.AsyncClient, auth: dict[str, str], batch_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(f"/v1/batches/{batch_id}/items", headers=auth, params=params)
    assert response.status_code == 200, (params, response.text)
    body: dict[str, Any] = response.json()
    return body


async def walk_forward(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    batch_id: str,
    *,
    max_pages: int = 1000,
    **params: Any,
) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """Every page from the first following `next`; the pages and the last page's body."""
    pages: list[list[dict[str, Any]]] = []
    body = await get_page(client, auth, batch_id, **params)
    pages.append(body["items"])
    while body["next"] is not None:
        assert len(pages) < max_pages, "the walk does not end"
        body = await get_page(client, auth, batch_id, **params, pq=body["next"])
        pages.append(body["items"])
    return pages, body


async def walk_backward(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    batch_id: str,
    last: dict[str, Any],
    *,
    max_pages: int = 1000,
    **params: Any,
) -> list[list[dict[str, Any]]]:
    """From the page `last`, every page before it via `previous` + `from_prev=true`, in the
    order they were read (last page first), `last` excluded."""
    pages: list[list[dict[str, Any]]] = []
    body = last
    while body["previous"] is not None:
        assert len(pages) < max_pages, "the walk does not end"
        body = await get_page(
            client, auth, batch_id, **params, pq=body["previous"], from_prev="true"
        )
        pages.append(body["items"])
    return pages


async def all_ids(
    client: httpx.AsyncClient, auth: dict[str, str], batch_id: str, **params: Any
) -> list[str]:
    pages, _ = await walk_forward(client, auth, batch_id, **params)
    return [item["id"] for page in pages for item in page]


# --- reference sort -------------------------------------------------------------------------

_UNIQUE = ("id", "sequence_index")


def resolve_sort(sort_by: str | None) -> list[tuple[str, bool]]:
    """(name, descending) keys as the API documents them: `id` appended in the last key's
    direction unless a key is unique; nothing after a unique key."""
    text = sort_by or "sequence_index:asc"
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(":")
        keys.append((name, direction == "desc"))
    if not any(name in _UNIQUE for name, _ in keys):
        keys.append(("id", keys[-1][1]))
    for i, (name, _) in enumerate(keys):
        if name in _UNIQUE:
            return keys[: i + 1]
    return keys


def _compare(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def reference_order(rows: Sequence[Row], sort_by: str | None) -> list[Row]:
    """Rows in the documented order: nulls last ascending, first descending."""
    keys = resolve_sort(sort_by)

    def compare(left: Row, right: Row) -> int:
        for name, descending in keys:
            a, b = left[name], right[name]
            # Ascending: null after every value; descending: before. Nulls tie.
            nulls = a is None or b is None
            result = _compare(a is None, b is None) if nulls else _compare(a, b)
            if result:
                return -result if descending else result
        return 0

    return sorted(rows, key=functools.cmp_to_key(compare))


def sort_value(row: Row, name: str) -> Any:
    return row[name]


# --- rendering q literals ---------------------------------------------------------------------


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def literal(value: Any) -> str:
    """A `q` literal for a Python value of the reference model."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return quote(value.isoformat())
    if isinstance(value, uuid.UUID):
        return quote(str(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    return quote(value)


def error_of(response: httpx.Response, status: int = 400, code: str = "BAD_REQUEST") -> Row:
    """The `{code, message, errors}` envelope with this status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str), body
    assert body["message"], body
    return body


Predicate = Callable[[Row], bool]

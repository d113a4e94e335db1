"""Keyset pages of batch items: forward with `next`, backward with `previous` + `from_prev=true`,
restart with `first` — every item exactly once, in the requested order, for unique and nullable
sort keys with ties, with filters, for any page size; and while rows change under the walk."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from runflow.batches.models import BatchItem
from runflow.db.engine import Database
from runflow.runs.models import Run
from tests.query.helpers import (
    STATUSES,
    Dataset,
    get_page,
    make_dataset,
    reference_order,
    set_runs,
    walk_backward,
    walk_forward,
)

SIZE = 60


@pytest.fixture
async def dataset(client: httpx.AsyncClient, auth: dict[str, str], database: Database) -> Dataset:
    main = await make_dataset(client, auth, database, size=SIZE, seed=21)
    await make_dataset(client, auth, database, size=9, seed=22)
    return main


def _ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


# Sorts on unique keys, on nullable keys with many ties (cost has six values and nulls,
# completed_at is null for most unfinished runs), mixed directions, and three keys.
SORTS: list[str | None] = [
    None,
    "sequence_index:desc",
    "id:desc",
    "completed_at:desc",
    "cost:asc,client_ref:desc",
    "client_ref",
    "status_code:desc,started_at:asc",
    "run.duration_ms:desc,cost:desc,completed_at:asc",
    "created_at,status_code",
]


async def _check_walk(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    dataset: Dataset,
    *,
    sort_by: str | None,
    limit: int,
    q: str | None = None,
    expected: list[str],
) -> None:
    params: dict[str, Any] = {"limit": limit}
    if sort_by is not None:
        params["sort_by"] = sort_by
    if q is not None:
        params["q"] = q
    where = (sort_by, limit, q)
    forward, last = await walk_forward(client, auth, dataset.batch_id, **params)
    assert _ids(forward) == expected, where
    # Every page is full but the last; the first has no `previous`, the last no `next`.
    assert all(len(page) == limit for page in forward[:-1]), where
    assert len(forward) == max(1, -(-len(expected) // limit)), where
    backward = await walk_backward(client, auth, dataset.batch_id, last, **params)
    # Going back visits the same pages as going forward, in reverse.
    assert backward == list(reversed(forward[:-1])), where
    assert _ids([*list(reversed(backward)), forward[-1]]) == expected, where


@pytest.mark.parametrize("sort_by", SORTS)
async def test_forward_then_backward_visits_every_item_once_in_order(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset, sort_by: str | None
) -> None:
    expected = [str(row["id"]) for row in reference_order(dataset.rows, sort_by)]
    for limit in (7, 13, 59, 60, 500):
        await _check_walk(client, auth, dataset, sort_by=sort_by, limit=limit, expected=expected)


@pytest.mark.parametrize("sort_by", [None, "completed_at:desc", "cost:asc,client_ref:desc"])
async def test_pages_of_one(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset, sort_by: str | None
) -> None:
    expected = [str(row["id"]) for row in reference_order(dataset.rows, sort_by)]
    await _check_walk(client, auth, dataset, sort_by=sort_by, limit=1, expected=expected)


async def test_filtered_walks(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset
) -> None:
    cases: list[tuple[str, str | None, Any]] = [
        ("cost != null", "cost:desc", lambda row: row["cost"] is not None),
        ("cost = null", "cost:desc", lambda row: row["cost"] is None),
        ("status_code IN (succeeded, failed)", "completed_at:desc", None),
        ('client_ref = "alpha*" OR client_ref = null', "client_ref:desc", None),
        ("sequence_index >= 1000", None, lambda row: False),
    ]
    for q, sort_by, predicate in cases:
        if predicate is None and q.startswith("status_code"):
            predicate = lambda row: row["status_code"] in ("succeeded", "failed")  # noqa: E731
        elif predicate is None:
            predicate = lambda row: (  # noqa: E731
                row["client_ref"] is None or row["client_ref"].startswith("alpha")
            )
        rows = [row for row in dataset.rows if predicate(row)]
        expected = [str(row["id"]) for row in reference_order(rows, sort_by)]
        for limit in (1, 4, 11, 500):
            await _check_walk(
                client, auth, dataset, sort_by=sort_by, limit=limit, q=q, expected=expected
            )


async def test_first_restarts_and_directions_can_alternate(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset
) -> None:
    params: dict[str, Any] = {"limit": 8, "sort_by": "cost:asc,client_ref:desc"}
    forward, _ = await walk_forward(client, auth, dataset.batch_id, **params)
    first = await get_page(client, auth, dataset.batch_id, **params)
    assert first["previous"] is None
    third = await get_page(client, auth, dataset.batch_id, **params, pq=first["next"])
    third = await get_page(client, auth, dataset.batch_id, **params, pq=third["next"])
    assert third["items"] == forward[2]
    for restart in (
        await get_page(client, auth, dataset.batch_id, **params, pq=third["first"]),
        await get_page(
            client, auth, dataset.batch_id, **params, pq=third["first"], from_prev="true"
        ),
    ):
        assert restart["items"] == forward[0]
        assert restart["previous"] is None
    # Back one page, then forward again: page 2, then page 3 again.
    second = await get_page(
        client, auth, dataset.batch_id, **params, pq=third["previous"], from_prev="true"
    )
    assert second["items"] == forward[1]
    again = await get_page(client, auth, dataset.batch_id, **params, pq=second["next"])
    assert again["items"] == forward[2]
    # `from_prev` without a cursor is just the first page.
    plain = await get_page(client, auth, dataset.batch_id, **params, from_prev="true")
    assert plain["items"] == forward[0]


async def test_a_page_can_be_read_again_with_its_cursor(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset
) -> None:
    first = await get_page(client, auth, dataset.batch_id, limit=10, sort_by="completed_at:desc")
    once = await get_page(
        client, auth, dataset.batch_id, limit=10, sort_by="completed_at:desc", pq=first["next"]
    )
    twice = await get_page(
        client, auth, dataset.batch_id, limit=10, sort_by="completed_at:desc", pq=first["next"]
    )
    assert once == twice


# --- rows changing under the walk -------------------------------------------------------------


async def _add_items(
    database: Database, batch_id: str, first_index: int, costs: list[Decimal | None]
) -> list[str]:
    """New items appended to the batch, straight into the tables (the API never adds items to
    an existing batch, but the list must cope with rows appearing)."""
    ids: list[str] = []
    async with database.transaction() as session:
        model = (
            await session.execute(select(Run).where(Run.batch_id == uuid.UUID(batch_id)).limit(1))
        ).scalar_one()
        for offset, cost in enumerate(costs):
            run = Run(
                org_id=model.org_id,
                model_id=model.model_id,
                batch_id=model.batch_id,
                input={"message": "late"},
                status_code="queued",
                cost=cost,
            )
            session.add(run)
            await session.flush()
            item = BatchItem(
                batch_id=model.batch_id,
                sequence_index=first_index + offset,
                run_id=run.id,
                client_ref=f"late-{first_index + offset}",
            )
            session.add(item)
            await session.flush()
            ids.append(str(item.id))
    return ids


async def test_default_order_walk_while_statuses_costs_and_items_change(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, dataset: Dataset
) -> None:
    rng = random.Random(31)
    runs = {str(row["id"]): row["run_id"] for row in dataset.rows}
    seen: list[str] = []
    added: list[str] = []
    body = await get_page(client, auth, dataset.batch_id, limit=7)
    pages = 1
    while True:
        seen.extend(item["id"] for item in body["items"])
        # Everything may change but the sort key: statuses and costs of items behind and ahead.
        changed = rng.sample(sorted(runs), 10)
        await set_runs(
            database,
            {
                runs[item]: {
                    "status_code": rng.choice(STATUSES),
                    "cost": rng.choice([None, Decimal("3.25"), Decimal(0)]),
                }
                for item in changed
            },
        )
        if pages in (2, 5):
            added += await _add_items(
                database, dataset.batch_id, SIZE + len(added), [Decimal(1), None]
            )
        if body["next"] is None:
            break
        body = await get_page(client, auth, dataset.batch_id, limit=7, pq=body["next"])
        pages += 1
    assert len(seen) == len(set(seen)), "an item came twice"
    expected = [str(row["id"]) for row in reference_order(dataset.rows, None)] + added
    assert seen == expected


async def test_filtered_walk_while_statuses_change(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, dataset: Dataset
) -> None:
    rng = random.Random(32)
    rows = dataset.by_id()
    q = "status_code != cancelled"
    touched: set[str] = set()
    seen: list[str] = []
    body = await get_page(client, auth, dataset.batch_id, limit=5, q=q)
    while True:
        seen.extend(item["id"] for item in body["items"])
        for item in rng.sample(sorted(rows), 6):
            touched.add(item)
            await set_runs(database, {rows[item]["run_id"]: {"status_code": rng.choice(STATUSES)}})
        if body["next"] is None:
            break
        body = await get_page(client, auth, dataset.batch_id, limit=5, q=q, pq=body["next"])
    assert len(seen) == len(set(seen)), "an item came twice"
    untouched = [
        str(row["id"])
        for row in reference_order(dataset.rows, None)
        if str(row["id"]) not in touched
    ]
    matching = [item for item in untouched if rows[item]["status_code"] != "cancelled"]
    assert [item for item in seen if item in set(untouched)] == matching


async def test_cost_order_walk_while_costs_change_and_items_arrive(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, dataset: Dataset
) -> None:
    """Walking `cost:desc`: items not yet returned get new costs (anywhere), items already
    returned get costs that keep them behind the cursor, new items arrive with every kind of
    cost. No item may come twice; every item whose cost never changed comes exactly once,
    in order."""
    rng = random.Random(33)
    rows = dataset.by_id()
    params: dict[str, Any] = {"limit": 6, "sort_by": "cost:desc"}
    changed: set[str] = set()
    added: list[str] = []
    seen: list[str] = []
    body = await get_page(client, auth, dataset.batch_id, **params)
    while True:
        seen.extend(item["id"] for item in body["items"])
        ahead = sorted(set(rows) - set(seen))
        updates: dict[uuid.UUID, dict[str, Any]] = {}
        for item in rng.sample(ahead, min(3, len(ahead))):
            changed.add(item)
            updates[rows[item]["run_id"]] = {
                "cost": rng.choice([None, Decimal("0.25"), Decimal(7)])
            }
        # Behind the cursor: nulls come first going down, so while the cursor is still on a
        # null, only null is behind it; past the nulls, any cost above the cursor's is.
        cursor_cost = body["items"][-1]["cost"] if body["items"] else None
        for item in rng.sample(seen, min(2, len(seen))):
            changed.add(item)
            behind = None if cursor_cost is None else Decimal(1000) + len(changed)
            updates[rows[item]["run_id"]] = {"cost": behind}
        for item in rng.sample(sorted(rows), 4):
            updates.setdefault(rows[item]["run_id"], {})["status_code"] = rng.choice(STATUSES)
        await set_runs(database, updates)
        if len(seen) in (12, 30):
            added += await _add_items(
                database,
                dataset.batch_id,
                SIZE + len(added),
                [None, Decimal(0), Decimal("1.5"), Decimal(5000)],
            )
        if body["next"] is None:
            break
        body = await get_page(client, auth, dataset.batch_id, **params, pq=body["next"])
    assert len(seen) == len(set(seen)), "an item came twice"
    stable = [
        str(row["id"])
        for row in reference_order(dataset.rows, "cost:desc")
        if str(row["id"]) not in changed
    ]
    assert [item for item in seen if item in set(stable)] == stable
    assert set(seen) <= set(rows) | set(added)


async def test_backward_walk_while_statuses_change(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, dataset: Dataset
) -> None:
    rng = random.Random(34)
    rows = dataset.by_id()
    params: dict[str, Any] = {"limit": 9, "sort_by": "completed_at:desc"}
    forward, last = await walk_forward(client, auth, dataset.batch_id, **params)
    seen = [item["id"] for item in last["items"]]
    body = last
    while body["previous"] is not None:
        await set_runs(
            database,
            {
                rows[item]["run_id"]: {"status_code": rng.choice(STATUSES), "cost": None}
                for item in rng.sample(sorted(rows), 8)
            },
        )
        body = await get_page(
            client, auth, dataset.batch_id, **params, pq=body["previous"], from_prev="true"
        )
        seen = [item["id"] for item in body["items"]] + seen
    assert seen == _ids(forward)

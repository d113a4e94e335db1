"""Enforcement (DESIGN §16): in an org that enforces credits, a create its available credits
cannot cover is `402 INSUFFICIENT_CREDITS` and writes nothing; an accepted one reserves its
estimate until its runs end; concurrent creates never spend the same credit."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from runflow.catalog.dispatch import forget_targets
from runflow.db.engine import Database
from tests.batches.helpers import assert_error
from tests.conftest import RowCounts
from tests.credits.helpers import account, assert_books_balance, enforced_with, grant, transactions
from tests.engine.polling import create_batch, terminal_batch, terminal_run
from tests.media.helpers import png

ECHO_BATCH = "/v1/models/runflow/echo/batches"
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(png()).decode()


def echoes(count: int) -> dict[str, Any]:
    return {"input": [{"message": str(i)} for i in range(count)]}


async def test_account_shows_reserved_credits_and_enforcement(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    shown = await account(client, auth)
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("0", "0")
    assert shown["credits_enforced"] is False
    assert shown["low_balance_threshold"] is None

    await enforced_with(database, "acme", "1")
    created = await client.post(ECHO_BATCH, json=echoes(3), headers=auth)
    assert created.status_code == 201, created.text

    shown = await account(client, auth)
    assert shown["credits_enforced"] is True
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("1", "0.0003")
    await assert_books_balance(database)

    # Cancelled before they ran, the runs give their reservation back and cost nothing.
    cancel = await client.post(f"/v1/batches/{created.json()['id']}/cancel", headers=auth)
    assert cancel.status_code == 200, cancel.text
    shown = await account(client, auth)
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("1", "0")
    await assert_books_balance(database)


@pytest.mark.parametrize(
    ("path", "body", "estimate"),
    [
        (ECHO_BATCH, echoes(4), "0.0004"),
        ("/v1/models/runflow/echo/runs", {"input": {"message": "hi"}}, "0.0001"),
        (
            "/v1/models/runflow/txt2img/runs",
            {"input": {"prompt": "a fox", "width": 512, "height": 512, "steps": 20}},
            "0.000262144",
        ),
        ("/v1/evaluations", {"image": PNG_DATA_URI}, "0.0002"),
    ],
)
async def test_a_create_the_credits_cannot_cover_is_402_and_writes_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    row_counts: RowCounts,
    path: str,
    body: dict[str, Any],
    estimate: str,
) -> None:
    await enforced_with(database, "acme", "0.00005")
    before = await row_counts()

    refused = await client.post(path, json=body, headers=auth)
    keyed = await client.post(path, json=body, headers={**auth, "Idempotency-Key": "k1"})

    for response in (refused, keyed):
        error = assert_error(response, 402, "INSUFFICIENT_CREDITS")
        assert estimate in error["message"]
        assert "0.00005" in error["message"]
    assert await row_counts() == before
    assert (await account(client, auth))["credit_reserved"] == "0"
    await assert_books_balance(database)


async def test_without_enforcement_creates_run_past_the_balance(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    created = await client.post(ECHO_BATCH, json=echoes(2), headers=auth)
    assert created.status_code == 201, created.text
    assert (await account(client, auth))["credit_reserved"] == "0"


@pytest.mark.parametrize("keyed", [False, True], ids=["grouped", "own-transaction"])
async def test_twenty_concurrent_creates_never_spend_the_same_credit(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, keyed: bool
) -> None:
    await enforced_with(database, "acme", "0.001")  # ten batches of one echo

    async def post(index: int) -> httpx.Response:
        headers = {**auth, "Idempotency-Key": f"create-{index}"} if keyed else auth
        return await client.post(ECHO_BATCH, json=echoes(1), headers=headers)

    # Every request looks its model up (no cached one): each holds a read connection meanwhile.
    forget_targets()
    responses = await asyncio.gather(*(post(index) for index in range(20)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 10 + [402] * 10, [r.text for r in responses]
    shown = await account(client, auth)
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("0.001", "0.001")
    await assert_books_balance(database)


@pytest.mark.engine(worker_concurrency=8)
async def test_runs_settle_their_reservation_as_they_end(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await enforced_with(database, "acme", "0.001")
    items = [{"message": str(i), "fail": i == 0} for i in range(5)]
    created = await create_batch(client, auth, items)
    await terminal_batch(client, auth, created["id"])

    shown = await account(client, auth)
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("0.0006", "0")
    assert len(await transactions(client, auth, "kind_code = usage")) == 4
    # What was spent is available again for the next create: 6 echoes fit, 7 do not.
    assert (await client.post(ECHO_BATCH, json=echoes(7), headers=auth)).status_code == 402
    assert (await client.post(ECHO_BATCH, json=echoes(6), headers=auth)).status_code == 201
    await assert_books_balance(database)


@pytest.mark.engine(worker_concurrency=8)
async def test_retry_and_rerun_are_refused_when_the_credits_run_out(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await enforced_with(database, "acme", "0.0002")
    items: list[dict[str, Any]] = [{"message": "a", "fail": True}, {"message": "b"}]
    created = await create_batch(client, auth, items)
    batch = await terminal_batch(client, auth, created["id"])
    # One echo succeeded (0.0001 spent): exactly one more fits. A re-run of it succeeds
    # and spends what it reserved, so once it is accepted nothing fits any more, whether
    # it has run yet or not. (A failing run would give its reservation back when it ends.)
    await grant(database, "acme", "0.00001")
    run_id = batch["items"][1]["run_id"]
    rerun = await client.post(f"/v1/runs/{run_id}/rerun", json={}, headers=auth)
    assert rerun.status_code == 201, rerun.text
    retry = await client.post(f"/v1/batches/{batch['id']}/retry", json={}, headers=auth)
    assert_error(retry, 402, "INSUFFICIENT_CREDITS")
    again = await client.post(f"/v1/runs/{run_id}/rerun", json={}, headers=auth)
    assert_error(again, 402, "INSUFFICIENT_CREDITS")
    assert (await terminal_run(client, auth, rerun.json()["id"]))["status_code"] == "succeeded"
    await assert_books_balance(database)


@pytest.mark.engine(worker_concurrency=8)
async def test_cancels_racing_completions_in_an_enforcing_org_keep_the_books(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    # Completions lock runs, batches, then the org; so do cancels giving reservations back.
    # Taken in another order, PostgreSQL would end one of them with a deadlock (a 500).
    await enforced_with(database, "acme", "1")
    items = [{"message": str(i), "delay_ms": 30 * (i % 4)} for i in range(60)]
    batches = [await create_batch(client, auth, items) for _ in range(3)]

    cancels = [
        client.post(f"/v1/runs/{item['run_id']}/cancel", headers=auth)
        for item in batches[0]["items"][::3]
    ]
    cancels.append(client.post(f"/v1/batches/{batches[1]['id']}/cancel", headers=auth))
    responses = await asyncio.gather(*cancels)

    assert {response.status_code for response in responses} <= {200, 409}, [
        response.text for response in responses if response.status_code not in (200, 409)
    ]
    for batch in batches:
        await terminal_batch(client, auth, batch["id"], timeout_s=60)
    assert (await account(client, auth))["credit_reserved"] == "0"
    await assert_books_balance(database)

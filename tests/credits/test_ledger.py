"""The ledger (DESIGN §16): every run that costs something is debited once, in its completion,
with an exact `balance_after`; the ledger sums to the balance after runs, failures, cancels,
retries and re-runs; `credits.low` fires once per crossing."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from runflow.db.engine import Database
from tests.callbacks.receiver import Receiver
from tests.credits.helpers import (
    account,
    assert_books_balance,
    enforced_with,
    grant,
    set_threshold,
    transactions,
)
from tests.engine.polling import create_batch, eventually, terminal_batch, terminal_run
from tests.webhooks.helpers import create_endpoint, events_of, received_types

pytestmark = pytest.mark.engine(worker_concurrency=8, callback_retry_delays=(0.1,))

ECHO = Decimal("0.0001")


async def test_each_run_that_costs_is_debited_once_with_the_balance_it_left(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await grant(database, "acme", "1")
    items = [{"message": str(i), "fail": i in (1, 3)} for i in range(6)]
    batch = await terminal_batch(client, auth, (await create_batch(client, auth, items))["id"])

    ledger = await transactions(client, auth)
    assert [row["kind_code"] for row in ledger] == ["grant", "usage", "usage", "usage", "usage"]
    assert ledger[0]["amount"] == ledger[0]["balance_after"] == "1"
    org_id = (await account(client, auth))["org"]["id"]
    assert {row["org_id"] for row in ledger} == {org_id}
    assert ledger[0]["description"] == "test grant"
    usage = ledger[1:]
    assert {row["amount"] for row in usage} == {"-0.0001"}
    # Each row leaves the balance the one before left, less its amount.
    balances = [Decimal(row["balance_after"]) for row in ledger]
    assert balances == [Decimal(1) - ECHO * n for n in range(5)]
    succeeded = {item["run_id"] for item in batch["items"] if item["status_code"] == "succeeded"}
    assert {row["run_id"] for row in usage} == succeeded
    assert {row["batch_id"] for row in usage} == {batch["id"]}
    assert (await account(client, auth))["credit_balance"] == "0.9996"
    assert Decimal(batch["cost"]) == ECHO * 4
    await assert_books_balance(database)

    # The query kit filters the ledger.
    run_id = usage[0]["run_id"]
    assert [row["id"] for row in await transactions(client, auth, f'run_id = "{run_id}"')] == [
        usage[0]["id"]
    ]
    assert len(await transactions(client, auth, "kind_code = grant")) == 1
    assert len(await transactions(client, auth, f'batch_id = "{batch["id"]}"')) == 4
    assert len(await transactions(client, auth, "amount < 0")) == 4
    bad = await client.get(
        "/v1/account/credit-transactions", params={"q": "kind_code = gift"}, headers=auth
    )
    assert bad.status_code == 400, bad.text


async def test_the_books_balance_after_batches_created_at_once(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await enforced_with(database, "acme", "10")
    items = [{"message": str(i)} for i in range(100)]
    created = await asyncio.gather(*(create_batch(client, auth, items) for _ in range(5)))
    for batch in created:
        await terminal_batch(client, auth, batch["id"], timeout_s=60)

    shown = await account(client, auth)
    assert (shown["credit_balance"], shown["credit_reserved"]) == ("9.95", "0")
    assert len(await transactions(client, auth, "kind_code = usage")) == 500
    await assert_books_balance(database)


async def test_the_books_balance_after_cancels_retries_and_reruns_in_an_enforcing_org(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await enforced_with(database, "acme", "0.01")
    slow = [{"message": str(i), "delay_ms": 400} for i in range(40)]
    cancelled = await create_batch(client, auth, slow)
    assert (await account(client, auth))["credit_reserved"] != "0"
    response = await client.post(f"/v1/batches/{cancelled['id']}/cancel", headers=auth)
    assert response.status_code == 200, response.text
    await terminal_batch(client, auth, cancelled["id"], timeout_s=30)

    mixed = [{"message": str(i), "fail": i % 2 == 0} for i in range(6)]
    failed = await terminal_batch(client, auth, (await create_batch(client, auth, mixed))["id"])
    retry = await client.post(f"/v1/batches/{failed['id']}/retry", json={}, headers=auth)
    assert retry.status_code == 201, retry.text
    await terminal_batch(client, auth, retry.json()["id"])
    run_id = failed["items"][1]["run_id"]
    rerun = await client.post(f"/v1/runs/{run_id}/rerun", json={}, headers=auth)
    assert rerun.status_code == 201, rerun.text
    await terminal_run(client, auth, rerun.json()["id"])

    shown = await account(client, auth)
    assert shown["credit_reserved"] == "0"
    ledger = await transactions(client, auth)
    assert Decimal(shown["credit_balance"]) == sum(Decimal(row["amount"]) for row in ledger)
    await assert_books_balance(database)


async def test_credits_low_fires_once_when_the_balance_crosses_the_threshold(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await grant(database, "acme", "0.00035")
    await set_threshold(database, "acme", "0.0002")
    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["credits.low"])
        first = await create_batch(client, auth, [{"message": str(i)} for i in range(3)])
        await terminal_batch(client, auth, first["id"])
        got = await received_types(receiver, ["credits.low"])
        # Already below: spending more crosses nothing.
        second = await create_batch(client, auth, [{"message": "more"}])
        await terminal_batch(client, auth, second["id"])
        await grant(database, "acme", "1")  # back above, and nothing to cross until it falls
        third = await create_batch(client, auth, [{"message": "again"}])
        await terminal_batch(client, auth, third["id"])
        await eventually(lambda: _delivered_all(client, auth))

    assert len(receiver.received) == 1
    (event,) = events_of(got)
    assert event["data"]["credit_balance"] == "0.00005"
    assert event["data"]["threshold"] == "0.0002"
    shown = await client.get("/v1/events", params={"q": "type = credits.low"}, headers=auth)
    assert len(shown.json()["items"]) == 1


async def _delivered_all(client: httpx.AsyncClient, auth: dict[str, str]) -> bool:
    listed = await client.get("/v1/webhooks/deliveries", headers=auth)
    return all(item["status_code"] != "pending" for item in listed.json()["items"])

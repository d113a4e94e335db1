"""Refunds and adjustments (DESIGN §16's `refund` and `adjustment` rows): a refund gives back
what runs still stand charged, never more, one row per run; an adjustment moves the balance
either way with its reason; the ledger still sums to the balance."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from runflow.callbacks.outbox import Outbox
from runflow.cli import app
from runflow.credits import service
from runflow.credits.refunds import NothingToRefund, Refunded
from runflow.db.engine import Database
from tests.auth.test_keys_cli import get_account, sqlite_settings
from tests.callbacks.receiver import Receiver
from tests.cli import run_runflow
from tests.conftest import MakeKey
from tests.credits.helpers import (
    account,
    assert_books_balance,
    grant,
    set_threshold,
    transactions,
)
from tests.engine.polling import create_batch, terminal_batch
from tests.webhooks.helpers import create_endpoint, events_of, received_types

pytestmark = pytest.mark.engine(worker_concurrency=8)

ECHO = Decimal("0.0001")


async def _ended_batch(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    """Four echo runs, two of which fail (and cost nothing)."""
    items = [{"message": str(i), "fail": i in (1, 3)} for i in range(4)]
    created = await create_batch(client, auth, items)
    return await terminal_batch(client, auth, created["id"])


async def _refund(database: Database, **target: Any) -> Refunded:
    async with database.transaction() as session:
        return await service.refund(session, "acme", description="sorry", **target)


async def test_a_batch_refund_gives_back_each_charged_run_once(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await grant(database, "acme", "1")
    batch = await _ended_batch(client, auth)
    assert (await account(client, auth))["credit_balance"] == "0.9998"

    refunded = await _refund(database, batch_id=uuid.UUID(batch["id"]))

    assert (refunded.runs, refunded.amount, refunded.balance_after) == (2, ECHO * 2, Decimal(1))
    ledger = await transactions(client, auth)
    refunds = [row for row in ledger if row["kind_code"] == "refund"]
    succeeded = {item["run_id"] for item in batch["items"] if item["status_code"] == "succeeded"}
    assert {row["run_id"] for row in refunds} == succeeded
    assert {row["batch_id"] for row in refunds} == {batch["id"]}
    assert {row["amount"] for row in refunds} == {"0.0001"}
    assert {row["description"] for row in refunds} == {"sorry"}
    # The balance walks back up row by row.
    assert sorted(row["balance_after"] for row in refunds) == ["0.9999", "1"]
    assert (await account(client, auth))["credit_balance"] == "1"
    await assert_books_balance(database)

    with pytest.raises(NothingToRefund):
        await _refund(database, batch_id=uuid.UUID(batch["id"]))
    assert len(await transactions(client, auth)) == len(ledger)


async def test_a_run_then_its_batch_never_refunds_more_than_was_charged(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await grant(database, "acme", "1")
    batch = await _ended_batch(client, auth)
    first, second = (
        uuid.UUID(item["run_id"]) for item in batch["items"] if item["status_code"] == "succeeded"
    )
    failed = next(item["run_id"] for item in batch["items"] if item["status_code"] == "failed")

    one = await _refund(database, run_id=first)
    rest = await _refund(database, batch_id=uuid.UUID(batch["id"]))

    assert (one.runs, one.amount) == (1, ECHO)
    assert (rest.runs, rest.amount) == (1, ECHO)
    refunds = await transactions(client, auth, "kind_code = refund")
    assert sorted(row["run_id"] for row in refunds) == sorted([str(first), str(second)])
    with pytest.raises(NothingToRefund):
        await _refund(database, run_id=uuid.UUID(failed))  # it cost nothing
    await assert_books_balance(database)


async def test_another_orgs_run_or_batch_is_unknown_and_nothing_moves(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, make_key: MakeKey
) -> None:
    await grant(database, "acme", "1")
    batch = await _ended_batch(client, auth)
    await make_key(org="other", email="dev@other.test")
    before = await transactions(client, auth)

    async with database.transaction() as session:
        with pytest.raises(service.UnknownTarget, match="no batch"):
            await service.refund(session, "other", batch_id=uuid.UUID(batch["id"]))
        with pytest.raises(service.UnknownTarget, match="no run"):
            await service.refund(session, "acme", run_id=uuid.uuid4())

    assert await transactions(client, auth) == before
    assert (await account(client, auth))["credit_balance"] == "0.9998"


async def test_adjustments_move_the_balance_either_way_with_their_reason(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, outbox: Outbox
) -> None:
    await grant(database, "acme", "10")
    async with database.transaction() as session:
        down = await service.adjust(session, "acme", Decimal("-2.5"), "double grant", outbox)
        up = await service.adjust(session, "acme", Decimal("0.25"), "goodwill", outbox)

    assert (down.balance_after, up.balance_after) == (Decimal("7.5"), Decimal("7.75"))
    rows = await transactions(client, auth, "kind_code = adjustment")
    assert [(row["amount"], row["description"]) for row in rows] == [
        ("-2.5", "double grant"),
        ("0.25", "goodwill"),
    ]
    await assert_books_balance(database)


async def test_an_adjustment_down_across_the_threshold_announces_credits_low_once(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, outbox: Outbox
) -> None:
    await grant(database, "acme", "10")
    await set_threshold(database, "acme", "5")

    async def adjust(amount: str) -> None:
        async with database.transaction() as session:
            await service.adjust(session, "acme", Decimal(amount), "correction", outbox)
        outbox.notify_sender()

    async with Receiver() as receiver:
        await create_endpoint(client, auth, receiver.url(), ["credits.low"])
        await adjust("-4")  # 6: still at or above 5
        await adjust("-1.5")  # 4.5: crosses
        got = await received_types(receiver, ["credits.low"])
        await adjust("-1")  # already below: crosses nothing
        await adjust("2")  # back above, by an adjustment up: announces nothing
        await adjust("-0.25")  # 5.25: above still

    (event,) = events_of(got)
    assert event["data"]["credit_balance"] == "4.5"
    assert event["data"]["threshold"] == "5"
    shown = await client.get("/v1/events", params={"q": "type = credits.low"}, headers=auth)
    assert len(shown.json()["items"]) == 1
    assert len(receiver.received) == 1


async def test_the_cli_adjusts_and_refunds(tmp_path: Path) -> None:
    code, key, stderr = await run_runflow(tmp_path, "keys", "create", "--org", "shop")
    assert code == 0, stderr
    await run_runflow(tmp_path, "credits", "grant", "--org", "shop", "10")

    down = await run_runflow(
        tmp_path, "credits", "adjust", "--org", "shop", "--description", "typo", "--", "-2.5"
    )
    up = await run_runflow(
        tmp_path, "credits", "adjust", "--org", "shop", "1", "--description", "goodwill"
    )
    missing = str(uuid.uuid4())
    no_run = await run_runflow(tmp_path, "credits", "refund", "--org", "shop", "--run", missing)

    assert down[:2] == (0, "adjusted -2.5; balance 7.5\n"), down
    assert up[:2] == (0, "adjusted 1; balance 8.5\n"), up
    assert no_run[:2] == (1, ""), no_run
    assert f"There is no run {missing} in 'shop'" in no_run[2]
    shown = (await get_account(sqlite_settings(tmp_path), key.strip())).json()
    assert shown["credit_balance"] == "8.5"


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        (["adjust", "--org", "shop", "1"], "--description"),
        (["adjust", "--org", "shop", "1", "--description", " "], "say why"),
        (["adjust", "--org", "shop", "--description", "x", "--", "-1e3"], "plain positive"),
        (["refund", "--org", "shop"], "--run or --batch"),
        (
            ["refund", "--org", "shop", "--run", str(uuid.uuid4()), "--batch", str(uuid.uuid4())],
            "--run or --batch",
        ),
        (["refund", "--org", "shop", "--run", "01a0"], "not a valid UUID"),
    ],
)
def test_cli_usage_errors_touch_no_database(
    arguments: list[str], why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before any database is opened (in process: the parsing is the CLI's own)."""
    monkeypatch.setenv("RUNFLOW_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["credits", *arguments])
    assert result.exit_code == 2, result.output
    assert why in result.output
    assert list(tmp_path.iterdir()) == []

"""`runflow credits grant|enforce|threshold` as an operator runs them, on the embedded SQLite
database of a fresh data directory; `RUNFLOW_CREDITS_ENFORCED` for new orgs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from runflow.credits.service import parse_amount
from tests.auth.test_keys_cli import get_account, sqlite_settings
from tests.cli import run_runflow


async def _key(data_dir: Path, org: str = "shop", **env: str) -> str:
    code, stdout, stderr = await run_runflow(data_dir, "keys", "create", "--org", org, **env)
    assert code == 0, stderr
    return stdout.strip()


async def test_grant_enforce_and_threshold_show_on_the_account(tmp_path: Path) -> None:
    key = await _key(tmp_path)

    granted = await run_runflow(
        tmp_path, "credits", "grant", "--org", "shop", "25.5", "--description", "welcome"
    )
    again = await run_runflow(tmp_path, "credits", "grant", "--org", "shop", "0.000000001")
    enforced = await run_runflow(tmp_path, "credits", "enforce", "--org", "shop", "on")
    threshold = await run_runflow(tmp_path, "credits", "threshold", "--org", "shop", "5")

    assert granted[:2] == (0, "granted 25.5; balance 25.5\n"), granted
    assert again[:2] == (0, "granted 0.000000001; balance 25.500000001\n"), again
    assert enforced[0] == threshold[0] == 0, (enforced, threshold)
    account = (await get_account(sqlite_settings(tmp_path), key)).json()
    assert account["credit_balance"] == "25.500000001"
    assert (account["credits_enforced"], account["low_balance_threshold"]) == (True, "5")

    await run_runflow(tmp_path, "credits", "enforce", "--org", "shop", "off")
    await run_runflow(tmp_path, "credits", "threshold", "--org", "shop", "off")
    account = (await get_account(sqlite_settings(tmp_path), key)).json()
    assert (account["credits_enforced"], account["low_balance_threshold"]) == (False, None)


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("-5", "plain positive decimal"),
        ("+5", "plain positive decimal"),
        ("0", "more than 0"),
        ("0.000", "more than 0"),
        ("NaN", "plain positive decimal"),
        ("inf", "plain positive decimal"),
        ("1e3", "plain positive decimal"),
        ("1E-2", "plain positive decimal"),
        ("0.0000000001", "more than 9 decimal places"),
        ("ten", "plain positive decimal"),
        ("", "plain positive decimal"),
        ("2000000000", "more than the most"),
    ],
)
def test_an_amount_is_a_plain_positive_decimal_of_at_most_nine_places(
    amount: str, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        parse_amount(amount)


def test_good_amounts_are_read_exactly() -> None:
    assert [parse_amount(text) for text in ("25", "0.50", " 7.000000001 ", "1000000000")] == [
        Decimal("25"),
        Decimal("0.50"),
        Decimal("7.000000001"),
        Decimal("1000000000"),
    ]


async def test_a_bad_amount_is_a_usage_error_that_changes_nothing(tmp_path: Path) -> None:
    key = await _key(tmp_path)
    for amount in ("-5", "1e3"):
        code, stdout, stderr = await run_runflow(
            tmp_path, "credits", "grant", "--org", "shop", "--", amount
        )
        assert (code, stdout) == (2, ""), stderr
        assert "Invalid value" in stderr
        assert "plain positive decimal" in stderr
    account = (await get_account(sqlite_settings(tmp_path), key)).json()
    assert account["credit_balance"] == "0"


async def test_an_unknown_org_is_an_error_that_creates_nothing(tmp_path: Path) -> None:
    await _key(tmp_path)
    for args in (("grant", "--org", "nope", "5"), ("enforce", "--org", "nope", "on")):
        code, stdout, stderr = await run_runflow(tmp_path, "credits", *args)
        assert (code, stdout) == (1, ""), stderr
        assert "There is no organization 'nope'" in stderr
    bad_switch = await run_runflow(tmp_path, "credits", "enforce", "--org", "shop", "maybe")
    assert bad_switch[0] == 2


async def test_new_orgs_follow_runflow_credits_enforced(tmp_path: Path) -> None:
    enforced = await _key(tmp_path, "strict", RUNFLOW_CREDITS_ENFORCED="true")
    relaxed = await _key(tmp_path, "relaxed")
    # An existing org keeps its setting whatever the variable says now.
    again = await _key(tmp_path, "relaxed", RUNFLOW_CREDITS_ENFORCED="true")

    settings = sqlite_settings(tmp_path)
    assert (await get_account(settings, enforced)).json()["credits_enforced"] is True
    assert (await get_account(settings, relaxed)).json()["credits_enforced"] is False
    assert (await get_account(settings, again)).json()["credits_enforced"] is False

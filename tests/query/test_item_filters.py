"""`q` on batch items returns exactly what a Python filter over the same rows returns.

The rows get varied run state (statuses, costs, timestamps, failures, nulls) and client refs with
shared prefixes; each `q` is checked against a reference evaluator written here with the
documented null semantics: on a null field `=`, `IN`, `<`… are false and `!=` is true; `= null`
and `!= null` test for null; `field:*` is presence; a trailing `*` on a string is a
case-sensitive prefix match. Every page is walked, so the seek is exercised under the filter too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runflow.db.engine import Database
from tests.query.helpers import (
    BASE_TIME,
    COSTS,
    FAILURE_CODES,
    STAGES,
    STATUSES,
    Dataset,
    Predicate,
    Row,
    all_ids,
    literal,
    make_dataset,
    quote,
    reference_order,
)


@pytest.fixture
async def dataset(client: httpx.AsyncClient, auth: dict[str, str], database: Database) -> Dataset:
    main = await make_dataset(client, auth, database, size=60, seed=11)
    # A second batch with the same kind of rows: none of its items may ever show up.
    await make_dataset(client, auth, database, size=14, seed=12)
    return main


def _has(row: Row, name: str) -> bool:
    return row[name] is not None


def _eq(name: str, value: Any) -> Predicate:
    return lambda row: row[name] is not None and row[name] == value


def _starts(name: str, prefix: str) -> Predicate:
    return lambda row: row[name] is not None and str(row[name]).startswith(prefix)


T = BASE_TIME
# (q, reference predicate). Written out by hand: quoting styles, escapes, `-`, keywords, nulls.
TABLE: list[tuple[str, Predicate]] = [
    ("", lambda row: True),
    ("   ", lambda row: True),
    ("status_code = succeeded", _eq("status_code", "succeeded")),
    ('status_code = "failed"', _eq("status_code", "failed")),
    ("status_code = 'queued'", _eq("status_code", "queued")),
    ("status_code != running", lambda row: row["status_code"] != "running"),
    (
        "status_code IN (succeeded, failed)",
        lambda row: row["status_code"] in ("succeeded", "failed"),
    ),
    ("NOT status_code IN (succeeded)", lambda row: row["status_code"] != "succeeded"),
    ("-status_code = queued", lambda row: row["status_code"] != "queued"),
    # A trailing `*` on an enumeration: the values that start so.
    ('status_code = "succ*"', _eq("status_code", "succeeded")),
    ("status_code = c*", _eq("status_code", "cancelled")),
    ('status_code != "s*"', lambda row: row["status_code"] != "succeeded"),
    ('status_code = "*"', lambda row: True),
    ("sequence_index < 10", lambda row: row["sequence_index"] < 10),
    ("sequence_index >= 57", lambda row: row["sequence_index"] >= 57),
    ("sequence_index = -1", lambda row: False),
    (
        "sequence_index > 5 AND sequence_index <= 9",
        lambda row: 5 < row["sequence_index"] <= 9,
    ),
    (
        "sequence_index < 3 OR sequence_index > 56",
        lambda row: row["sequence_index"] < 3 or row["sequence_index"] > 56,
    ),
    ("sequence_index IN (1, 3, 99)", lambda row: row["sequence_index"] in (1, 3, 99)),
    # Null semantics on a nullable decimal.
    ("cost = null", lambda row: row["cost"] is None),
    ("cost != null", lambda row: row["cost"] is not None),
    ("cost:*", lambda row: row["cost"] is not None),
    ("NOT cost:*", lambda row: row["cost"] is None),
    ("cost = 0", _eq("cost", Decimal(0))),
    ("cost != 0", lambda row: row["cost"] != Decimal(0)),
    ("NOT cost = 0", lambda row: not (row["cost"] is not None and row["cost"] == 0)),
    ("cost > 1", lambda row: row["cost"] is not None and row["cost"] > 1),
    ("cost <= 0.5", lambda row: row["cost"] is not None and row["cost"] <= Decimal("0.5")),
    ('cost = "1.5"', _eq("cost", Decimal("1.5"))),
    ("cost = 1.50", _eq("cost", Decimal("1.5"))),
    ("cost = 10.123456789", _eq("cost", Decimal("10.123456789"))),
    ("cost >= 1e1", lambda row: row["cost"] is not None and row["cost"] >= 10),
    ("NOT cost > 1", lambda row: not (row["cost"] is not None and row["cost"] > 1)),
    ("cost IN (0, 2, null)", lambda row: row["cost"] in (Decimal(0), Decimal(2), None)),
    ("cost IN (0.5, 2)", lambda row: row["cost"] in (Decimal("0.5"), Decimal(2))),
    ("-cost IN (0.5, 2)", lambda row: row["cost"] not in (Decimal("0.5"), Decimal(2))),
    # Strings: exact, prefix, case-sensitive, escaped quotes and backslashes, ordering.
    ('client_ref = "alpha"', _eq("client_ref", "alpha")),
    ("client_ref = alpha", _eq("client_ref", "alpha")),
    ("client_ref = alpha*", _starts("client_ref", "alpha")),
    ('client_ref = "alpha-1*"', _starts("client_ref", "alpha-1")),
    ("client_ref = alpha-1*", _starts("client_ref", "alpha-1")),
    ('client_ref = "al*"', _starts("client_ref", "al")),
    ('client_ref = "A*"', _starts("client_ref", "A")),
    ('client_ref != "alpha*"', lambda row: not _starts("client_ref", "alpha")(row)),
    ('NOT client_ref = "alpha*"', lambda row: not _starts("client_ref", "alpha")(row)),
    ('client_ref = "*"', lambda row: row["client_ref"] is not None),
    ('client_ref = "quote\\"d"', _eq("client_ref", 'quote"d')),
    ("client_ref = 'quote\"d'", _eq("client_ref", 'quote"d')),
    ('client_ref = "back\\\\slash"', _eq("client_ref", "back\\slash")),
    ('client_ref = "with space"', _eq("client_ref", "with space")),
    ('client_ref = "élan"', _eq("client_ref", "élan")),
    ('client_ref = "é*"', _starts("client_ref", "é")),
    ("client_ref = null", lambda row: row["client_ref"] is None),
    ("client_ref != null", lambda row: row["client_ref"] is not None),
    ('client_ref != "beta"', lambda row: row["client_ref"] != "beta"),
    (
        'client_ref < "alpha-2"',
        lambda row: _has(row, "client_ref") and row["client_ref"] < "alpha-2",
    ),
    ('client_ref >= "b"', lambda row: _has(row, "client_ref") and row["client_ref"] >= "b"),
    (
        'client_ref IN ("alpha", "beta", null)',
        lambda row: row["client_ref"] in ("alpha", "beta", None),
    ),
    ('client_ref IN ("alpha*")', _eq("client_ref", "alpha*")),
    ("client_ref:*", lambda row: row["client_ref"] is not None),
    # run.* fields.
    ('run.failure_code = "TIMEOUT"', _eq("run.failure_code", "TIMEOUT")),
    ("run.failure_code = MODEL_ERROR*", _starts("run.failure_code", "MODEL_ERROR")),
    (
        'NOT run.failure_code = "TIMEOUT"',
        lambda row: row["run.failure_code"] != "TIMEOUT",
    ),
    ("run.failure_code:*", lambda row: row["run.failure_code"] is not None),
    ("run.failure_stage_code = execution", _eq("run.failure_stage_code", "execution")),
    (
        "run.failure_stage_code != execution",
        lambda row: row["run.failure_stage_code"] != "execution",
    ),
    ("run.failure_stage_code = null", lambda row: row["run.failure_stage_code"] is None),
    (
        "run.duration_ms > 100",
        lambda row: _has(row, "run.duration_ms") and row["run.duration_ms"] > 100,
    ),
    ("run.duration_ms = 1000", _eq("run.duration_ms", 1000)),
    (
        "NOT run.duration_ms < 10",
        lambda row: not (_has(row, "run.duration_ms") and row["run.duration_ms"] < 10),
    ),
    ("run.attempt = 0", _eq("run.attempt", 0)),
    ("run.attempt >= 2", lambda row: row["run.attempt"] >= 2),
    # Timestamps with offsets: the instant counts, not the wall clock.
    ("started_at = null", lambda row: row["started_at"] is None),
    (
        'started_at >= "2026-03-01T12:30:00Z"',
        lambda row: _has(row, "started_at") and row["started_at"] >= T + timedelta(minutes=30),
    ),
    (
        'started_at >= "2026-03-01T14:30:00+02:00"',
        lambda row: _has(row, "started_at") and row["started_at"] >= T + timedelta(minutes=30),
    ),
    (
        'completed_at < "2026-03-01T08:00:00-05:00"',
        lambda row: _has(row, "completed_at") and row["completed_at"] < T + timedelta(hours=1),
    ),
    (
        'NOT completed_at < "2026-03-01T13:00:00Z"',
        lambda row: (
            not (_has(row, "completed_at") and row["completed_at"] < T + timedelta(hours=1))
        ),
    ),
    ('created_at = "2026-03-01T12:00:00Z"', _eq("created_at", T)),
    ('created_at = "2026-03-01T12:00:00.000000+00:00"', _eq("created_at", T)),
    (
        'created_at < "2026-03-01T11:59:00Z"',
        lambda row: row["created_at"] < T - timedelta(minutes=1),
    ),
    (
        'created_at IN ("2026-03-01T12:00:00Z", "2026-03-01T13:58:00+02:00")',
        lambda row: row["created_at"] in (T, T - timedelta(minutes=2)),
    ),
    # Combinations and grouping.
    (
        "status_code = failed AND (run.failure_code = TIMEOUT OR run.failure_code = null)",
        lambda row: row["status_code"] == "failed" and row["run.failure_code"] in ("TIMEOUT", None),
    ),
    (
        "(status_code = succeeded OR status_code = failed) AND cost > 0",
        lambda row: (
            row["status_code"] in ("succeeded", "failed") and _has(row, "cost") and row["cost"] > 0
        ),
    ),
    (
        "NOT (cost > 1 OR client_ref = alpha*)",
        lambda row: (
            not ((_has(row, "cost") and row["cost"] > 1) or _starts("client_ref", "alpha")(row))
        ),
    ),
    (
        "-(client_ref = null AND cost = null)",
        lambda row: not (row["client_ref"] is None and row["cost"] is None),
    ),
    (
        "((((sequence_index < 30))))",
        lambda row: row["sequence_index"] < 30,
    ),
    (
        "NOT NOT status_code = queued",
        lambda row: row["status_code"] == "queued",
    ),
    (
        "status_code = queued OR (cost:* AND NOT cost = 0) OR run.attempt = 3",
        lambda row: (
            row["status_code"] == "queued"
            or (_has(row, "cost") and row["cost"] != 0)
            or row["run.attempt"] == 3
        ),
    ),
]


def _reference(dataset: Dataset, predicate: Predicate, sort_by: str | None = None) -> list[str]:
    return [str(row["id"]) for row in reference_order(dataset.rows, sort_by) if predicate(row)]


async def test_table_of_filters_matches_the_python_reference(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset
) -> None:
    mismatches: list[tuple[str, int, int]] = []
    for q, predicate in TABLE:
        expected = _reference(dataset, predicate)
        got = await all_ids(client, auth, dataset.batch_id, q=q, limit=17)
        if got != expected:
            mismatches.append((q, len(got), len(expected)))
    assert not mismatches, mismatches


async def test_the_table_is_not_trivial(dataset: Dataset) -> None:
    # Each interesting filter selects some rows and leaves some out, so a filter that is
    # ignored (or that drops everything) cannot pass the table by accident.
    selective = [q for q, predicate in TABLE if 0 < sum(map(predicate, dataset.rows)) < 60]
    assert len(selective) >= len(TABLE) - 8


async def test_filtered_sorted_walk_matches_the_reference(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset
) -> None:
    cases: list[tuple[str, str, Predicate]] = [
        ("cost:desc", "status_code != queued", lambda row: row["status_code"] != "queued"),
        ("completed_at:asc,client_ref:desc", "cost:*", lambda row: row["cost"] is not None),
        (
            "client_ref:asc",
            'client_ref = "alpha*" OR client_ref = null',
            lambda row: row["client_ref"] is None or row["client_ref"].startswith("alpha"),
        ),
        (
            "run.duration_ms:desc,cost:asc,status_code:desc",
            "NOT run.attempt = 1",
            lambda row: row["run.attempt"] != 1,
        ),
    ]
    for sort_by, q, predicate in cases:
        expected = _reference(dataset, predicate, sort_by)
        assert 0 < len(expected) < len(dataset.rows)
        for limit in (1, 4, 500):
            got = await all_ids(client, auth, dataset.batch_id, q=q, sort_by=sort_by, limit=limit)
            assert got == expected, (sort_by, q, limit)


# --- generated filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    text: str
    test: Predicate
    nesting: int = 0
    conditions: int = 1
    junction: bool = False

    def atom(self) -> Expr:
        """Safe to use as an operand of NOT or a junction."""
        if not self.junction:
            return self
        return Expr(f"({self.text})", self.test, self.nesting + 1, self.conditions)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_RESERVED = {"null", "true", "false", "AND", "OR", "NOT", "IN"}


def _string_literal(text: str, bare: bool) -> str:
    if bare and _WORD.fullmatch(text) and text not in _RESERVED:
        return text
    return quote(text)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    values: st.SearchStrategy[Any]
    nullable: bool
    ordered: bool
    string: bool = False


OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]

_timestamps = st.builds(
    lambda minutes, seconds, tz: (T + timedelta(minutes=minutes, seconds=seconds)).astimezone(tz),
    st.integers(-6, 200),
    st.sampled_from([0, 0, 30, 59]),
    st.sampled_from(OFFSETS),
)
_strings = st.one_of(
    st.sampled_from(["alpha", "alpha-1", "alpha-10", "Alpha", "al", "beta", "beta.7", "élan"]),
    st.sampled_from(['quote"d', "back\\slash", "with space", "b", "z", ""]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FF), max_size=5
    ),
)

FIELDS: list[FieldSpec] = [
    FieldSpec("sequence_index", st.integers(-3, 64), nullable=False, ordered=True),
    FieldSpec("status_code", st.sampled_from(STATUSES), nullable=False, ordered=False),
    FieldSpec("client_ref", _strings, nullable=True, ordered=True, string=True),
    FieldSpec("created_at", _timestamps, nullable=False, ordered=True),
    FieldSpec("started_at", _timestamps, nullable=True, ordered=True),
    FieldSpec("completed_at", _timestamps, nullable=True, ordered=True),
    FieldSpec(
        "cost",
        st.one_of(st.sampled_from(COSTS), st.decimals(-1, 20, places=3, allow_nan=False)),
        nullable=True,
        ordered=True,
    ),
    FieldSpec(
        "run.failure_code",
        st.one_of(st.sampled_from(FAILURE_CODES), _strings),
        nullable=True,
        ordered=True,
        string=True,
    ),
    FieldSpec("run.failure_stage_code", st.sampled_from(STAGES), nullable=True, ordered=False),
    FieldSpec(
        "run.duration_ms",
        st.sampled_from([0, 5, 250, 1000, 99_999, -1, 7]),
        nullable=True,
        ordered=True,
    ),
    FieldSpec("run.attempt", st.integers(-1, 4), nullable=False, ordered=True),
]

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def _render(spec: FieldSpec, value: Any, bare: bool) -> str:
    if spec.string:
        return _string_literal(value, bare)
    if spec.name in ("status_code", "run.failure_stage_code") and bare:
        return str(value)
    return literal(value)


@st.composite
def comparisons(draw: st.DrawFn, ids: list[uuid.UUID], run_ids: list[uuid.UUID]) -> Expr:
    kind = draw(st.sampled_from(["field", "field", "field", "uuid", "presence", "in", "null"]))
    if kind == "uuid":
        name, pool = draw(st.sampled_from([("id", ids), ("run_id", run_ids)]))
        value = draw(st.one_of(st.sampled_from(pool), st.uuids()))
        op = draw(st.sampled_from(["=", "!="]))
        if op == "=":
            return Expr(f"{name} = {literal(value)}", lambda row: row[name] == value)
        return Expr(f"{name} != {literal(value)}", lambda row: row[name] != value)
    spec = draw(st.sampled_from(FIELDS))
    name = spec.name
    if kind == "presence":
        return Expr(f"{name}:*", lambda row: row[name] is not None)
    if kind == "null":
        op = draw(st.sampled_from(["=", "!="]))
        if op == "=":
            return Expr(f"{name} = null", lambda row: row[name] is None)
        return Expr(f"{name} != null", lambda row: row[name] is not None)
    if kind == "in":
        values = draw(st.lists(st.one_of(spec.values, st.just(None)), min_size=1, max_size=4))
        bare = draw(st.booleans())
        rendered = ", ".join("null" if v is None else _render(spec, v, bare) for v in values)
        chosen = set(values)
        return Expr(f"{name} IN ({rendered})", lambda row: row[name] in chosen)
    value = draw(spec.values)
    bare = draw(st.booleans())
    text = _render(spec, value, bare)
    if spec.string and value.endswith("*"):
        # A trailing `*` is a prefix match, only with = and !=.
        op = draw(st.sampled_from(["=", "!="]))
        starts = _starts(name, value[:-1])
        if op == "=":
            return Expr(f"{name} = {text}", starts)
        return Expr(f"{name} != {text}", lambda row: not starts(row))
    ops = ["=", "!=", "<", "<=", ">", ">="] if spec.ordered else ["=", "!="]
    op = draw(st.sampled_from(ops))
    if op == "=":
        return Expr(f"{name} {op} {text}", _eq(name, value))
    if op == "!=":
        return Expr(f"{name} {op} {text}", lambda row: not _eq(name, value)(row))
    compare = _ORDERING[op]
    return Expr(
        f"{name} {op} {text}",
        lambda row: row[name] is not None and compare(row[name], value),
    )


def _negate(expr: Expr, style: str) -> Expr:
    inner = expr.atom()
    prefix = "NOT " if style == "NOT" else "-"
    return Expr(
        f"{prefix}{inner.text}", lambda row: not inner.test(row), inner.nesting, inner.conditions
    )


def _junction(op: str, operands: list[Expr]) -> Expr:
    atoms = [operand.atom() for operand in operands]
    text = f" {op} ".join(atom.text for atom in atoms)
    tests = [atom.test for atom in atoms]
    if op == "AND":
        test: Predicate = lambda row: all(t(row) for t in tests)  # noqa: E731
    else:
        test = lambda row: any(t(row) for t in tests)  # noqa: E731
    return Expr(
        text,
        test,
        max(atom.nesting for atom in atoms),
        sum(atom.conditions for atom in atoms),
        junction=True,
    )


def expressions(ids: list[uuid.UUID], run_ids: list[uuid.UUID]) -> st.SearchStrategy[Expr]:
    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.one_of(
            st.builds(_negate, children, st.sampled_from(["NOT", "-"])),
            st.builds(
                _junction,
                st.sampled_from(["AND", "OR"]),
                st.lists(children, min_size=2, max_size=3),
            ),
        )

    return st.recursive(comparisons(ids, run_ids), extend, max_leaves=10).filter(
        lambda e: e.nesting <= 8 and e.conditions <= 32 and len(e.text) <= 2048
    )


@st.composite
def queries(draw: st.DrawFn, dataset: Dataset) -> tuple[Expr, str | None, int]:
    ids = [row["id"] for row in dataset.rows]
    run_ids = [row["run_id"] for row in dataset.rows]
    expr = draw(expressions(ids, run_ids))
    sort_by = draw(
        st.sampled_from([None, "cost:desc", "client_ref:asc,completed_at:desc", "started_at"])
    )
    limit = draw(st.sampled_from([9, 25, 500]))
    return expr, sort_by, limit


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_generated_filters_match_the_python_reference(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset, data: st.DataObject
) -> None:
    expr, sort_by, limit = data.draw(queries(dataset))
    expected = _reference(dataset, expr.test, sort_by)
    params: dict[str, Any] = {"q": expr.text, "limit": limit}
    if sort_by is not None:
        params["sort_by"] = sort_by
    got = await all_ids(client, auth, dataset.batch_id, **params)
    assert got == expected, expr.text

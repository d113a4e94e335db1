"""Random list parameters never crash the batch items endpoint: always a 200 page or a 400 with
the `{code, message, errors}` envelope naming the parameter (422 only for `limit`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runflow.db.engine import Database
from tests.query.helpers import Dataset, make_dataset

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELD_NAMES = [
    "id",
    "sequence_index",
    "run_id",
    "client_ref",
    "status_code",
    "created_at",
    "started_at",
    "completed_at",
    "cost",
    "run.failure_code",
    "run.failure_stage_code",
    "run.duration_ms",
    "run.attempt",
    "run",
    "input",
    "nope",
    "run.nope",
    "x.y.z",
]
TOKENS = [
    *FIELD_NAMES,
    *("=", "!=", "<", "<=", ">", ">=", "==", "=<", "!"),
    *("AND", "OR", "NOT", "IN", "and", "or", "not", "in", "And"),
    *("(", ")", "((", "))", ",", ":", "*", ":*", "-", "--", ".", "'", '"'),
    *("null", "true", "false", "NULL", "None"),
    *("queued", "succeeded", "failed", "execution", "alpha*", "al", "TIMEOUT"),
    *("0", "-1", "1.5", "1e3", "1e-20", "1e999999999", "99999999999999999999", "2147483648"),
    *("-9223372036854775809", ".5", "0.0000000001", "NaN", "Infinity", "-0"),
    *('"alpha"', '"al*"', "'x'", '"a\\"b"', '"\\\\"', '""', '"é"', '"\\u0000"', '"\x00"'),
    *('"2026-03-01T12:00:00Z"', '"2026-03-01T12:00:00+14:00"', '"2026-03-01"'),
    *('"0001-01-01T00:00:00+01:00"', '"9999-12-31T23:59:59-23:59"', '"2026-02-30T00:00:00Z"'),
    *('"01a233c9-0d20-7fea-bd27-8f63cc313cd2"', '"nope"', "01a233c9-0d20-7fea"),
]

VALUES = [token for token in TOKENS if token[0] in "\"'-.0123456789" or token.isalpha()]
VALUES = [value for value in VALUES if value not in ("AND", "OR", "NOT", "IN", "-", "--")]
_INTEGERS = ["0", "-0", "2147483647", "2147483648", "-2147483649", "99999999999999999999", "1e3"]
_DECIMALS = ["1e999999999", "-1e999999999", "1e-999999999", "NaN", "Infinity", "0.0000000001"]
_DECIMALS += ['"1.5"', '"-Infinity"', "99999999999", "9223372036.854775807", "1E+10"]
_TIMESTAMPS = [value for value in VALUES if value.startswith('"') and "-" in value]
_STRINGS = ['"\x00"', '"a\x00"', '"é*"', '"*"', "alpha*", '""', "'\\'", '"' + "x" * 300 + '"']
# Hostile values for each field's own type, half the time; anything, the other half.
_FIELD_VALUES: dict[str, list[str]] = {
    "sequence_index": _INTEGERS,
    "run.duration_ms": _INTEGERS,
    "run.attempt": _INTEGERS,
    "cost": _DECIMALS,
    "created_at": _TIMESTAMPS,
    "started_at": _TIMESTAMPS,
    "completed_at": _TIMESTAMPS,
    "client_ref": _STRINGS,
    "run.failure_code": _STRINGS,
}


@st.composite
def _clause(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(FIELD_NAMES))
    pool = _FIELD_VALUES.get(name, VALUES)
    value = st.one_of(st.sampled_from(pool), st.sampled_from(VALUES))
    shape = draw(st.sampled_from(["compare", "compare", "in", "presence"]))
    negation = draw(st.sampled_from(["", "", "NOT ", "-"]))
    if shape == "presence":
        return f"{negation}{name}:*"
    if shape == "in":
        values = draw(st.lists(value, min_size=1, max_size=4))
        return f"{negation}{name} IN ({', '.join(values)})"
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
    return f"{negation}{name} {op} {draw(value)}"


_clauses = _clause()
# Grammar-shaped: mostly parses, so the hostile values reach typing, compiling and the database.
_shaped = st.builds(
    lambda clauses, junction, wrap: (
        f"({f' {junction} '.join(clauses)})" if wrap else f" {junction} ".join(clauses)
    ),
    st.lists(_clauses, min_size=1, max_size=4),
    st.sampled_from(["AND", "OR"]),
    st.booleans(),
)
_printable = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], max_codepoint=0x10FFFF), max_size=80
)
_tokens = st.lists(st.sampled_from(TOKENS), max_size=24).flatmap(
    lambda parts: st.sampled_from([" ", "", "  "]).map(lambda sep: sep.join(parts))
)


@pytest.fixture
async def dataset(client: httpx.AsyncClient, auth: dict[str, str], database: Database) -> Dataset:
    return await make_dataset(client, auth, database, size=12, seed=41)


async def _answered(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset, params: dict[str, Any]
) -> httpx.Response:
    response = await client.get(
        f"/v1/batches/{dataset.batch_id}/items", headers=auth, params=params
    )
    assert response.status_code in (200, 400), (params, response.status_code, response.text)
    body = response.json()
    if response.status_code == 200:
        assert set(body) == {"items", "first", "next", "previous"}, body
        return response
    assert set(body) == {"code", "message", "errors"}, body
    assert body["code"] == "BAD_REQUEST"
    assert isinstance(body["message"], str)
    assert body["message"]
    [error] = body["errors"]
    parameter = error["loc"][1]
    assert error["loc"] == ["query", parameter]
    assert parameter in params, (params, body)
    if parameter == "q" and "position" in error:
        # A position is a place in `q`, or just past its end.
        assert 1 <= error["position"] <= len(params["q"]) + 1, (params, body)
    return response


@FUZZ
@given(q=st.one_of(_printable, _tokens, _shaped))
async def test_random_q_is_a_page_or_a_400(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset, q: str
) -> None:
    await _answered(client, auth, dataset, {"q": q})


@FUZZ
@given(
    q=st.one_of(_tokens, _shaped),
    sort_by=st.one_of(
        _printable,
        st.lists(
            st.builds(
                lambda name, direction: name + direction,
                st.sampled_from(FIELD_NAMES),
                st.sampled_from(["", ":asc", ":desc", ":", ":ASC", ":up", "::desc"]),
            ),
            max_size=5,
        ).map(",".join),
    ),
    fields=st.one_of(
        _printable,
        st.lists(st.sampled_from([*FIELD_NAMES, "error", "output", " id", ""]), max_size=6).map(
            ",".join
        ),
    ),
    embed=st.one_of(st.none(), _printable, st.sampled_from(["run", "run,run", "RUN", "runs"])),
)
async def test_random_sort_fields_and_embed_are_a_page_or_a_400(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    dataset: Dataset,
    q: str,
    sort_by: str,
    fields: str,
    embed: str | None,
) -> None:
    params: dict[str, Any] = {"q": q, "sort_by": sort_by, "fields": fields, "limit": 5}
    if embed is not None:
        params["embed"] = embed
    response = await _answered(client, auth, dataset, params)
    if response.status_code == 200:
        # A good page can be continued with its own cursor under the same parameters.
        cursor = response.json()["next"]
        if cursor is not None:
            again = await _answered(client, auth, dataset, {**params, "pq": cursor})
            assert again.status_code == 200


@FUZZ
@given(
    pq=st.one_of(
        _printable,
        st.text(
            alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
            max_size=200,
        ),
    ),
    from_prev=st.sampled_from(["true", "false", "1", "0"]),
)
async def test_random_cursors_are_a_400(
    client: httpx.AsyncClient, auth: dict[str, str], dataset: Dataset, pq: str, from_prev: str
) -> None:
    response = await _answered(client, auth, dataset, {"pq": pq, "from_prev": from_prev})
    assert response.status_code == 400, response.text

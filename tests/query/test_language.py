"""The `q` language and every bad list parameter: the parser's tree and limits, and over HTTP
the 400 (422 for `limit`) envelope with the parameter, the 1-based position of the problem in
`q`, and no change to any table."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from runflow.query.language import (
    MAX_CONDITIONS,
    MAX_IN_VALUES,
    MAX_LENGTH,
    MAX_NESTING,
    Comparison,
    Junction,
    Membership,
    Negation,
    Presence,
    QueryError,
    parse,
)
from tests.batches.helpers import create_batch
from tests.conftest import MakeKey, RowCounts
from tests.query.helpers import error_of, get_page

# --- the parser, without HTTP -----------------------------------------------------------------


def _error(text: str) -> dict[str, Any]:
    with pytest.raises(QueryError) as raised:
        parse(text)
    [error] = raised.value.errors or []
    assert error["loc"] == ["query", "q"]
    assert error["type"] == "query"
    assert raised.value.message.startswith("`q` is invalid")
    return dict(error)


def test_blank_q_is_no_filter() -> None:
    assert parse("") is None
    assert parse("  \t ") is None


def test_comparison_keeps_field_operator_value_and_positions() -> None:
    node = parse('  client_ref >= "a b"')
    assert isinstance(node, Comparison)
    assert (node.field, node.op, node.position) == ("client_ref", ">=", 3)
    assert (node.value.kind, node.value.text, node.value.position) == ("string", "a b", 17)


def test_every_operator_and_value_kind_parses() -> None:
    for op in ("=", "!=", "<", "<=", ">", ">="):
        node = parse(f"f {op} 1")
        assert isinstance(node, Comparison)
        assert node.op == op
    kinds = {
        '"x"': ("string", "x"),
        "'x'": ("string", "x"),
        '"a\\"b\\\\c"': ("string", 'a"b\\c'),
        "-1.5e3": ("number", "-1.5e3"),
        "word-with.dots*": ("word", "word-with.dots*"),
        "null": ("null", "null"),
        "true": ("true", "true"),
        "false": ("false", "false"),
    }
    for text, expected in kinds.items():
        node = parse(f"f = {text}")
        assert isinstance(node, Comparison)
        assert (node.value.kind, node.value.text) == expected, text


def test_junctions_negations_presence_and_membership() -> None:
    node = parse("a = 1 AND NOT (b:* OR -c IN (1, 'x', null)) AND run.d = x")
    assert isinstance(node, Junction)
    assert node.op == "AND"
    assert len(node.operands) == 3
    negation = node.operands[1]
    assert isinstance(negation, Negation)
    inner = negation.operand
    assert isinstance(inner, Junction)
    assert inner.op == "OR"
    presence, minus = inner.operands
    assert isinstance(presence, Presence)
    assert presence.field == "b"
    assert isinstance(minus, Negation)
    membership = minus.operand
    assert isinstance(membership, Membership)
    assert [value.kind for value in membership.values] == ["number", "string", "null"]
    last = node.operands[2]
    assert isinstance(last, Comparison)
    assert last.field == "run.d"
    assert node.conditions == 4


def test_keywords_inside_strings_are_just_text() -> None:
    node = parse("a = \"x and y\" AND b = 'not in or'")
    assert isinstance(node, Junction)
    assert len(node.operands) == 2


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("status_code =", 14, "ends too early"),
        ("= 1", 1, "unexpected '='"),
        ("a == 1", 4, "unexpected '='"),
        ("(a = 1", 7, "ends too early"),
        ("a = 1)", 6, "unexpected ')'"),
        ("a = 1 @", 7, "unexpected character '@'"),
        ("a IN ()", 7, "unexpected ')'"),
        ("a = b c", 7, "unexpected 'c'"),
        ("a = 1 AND", 10, "ends too early"),
        ("a = 1 and b = 2", 7, "write AND"),
        ("a = 1 or b = 2", 7, "write OR"),
        ("not a = 1", 1, "write NOT"),
        ("a in (1, 2)", 3, "write IN"),
        ("a = 1 AND b = 2 OR c = 3", 17, "AND and OR cannot be mixed"),
        ("a = 1 OR b = 2 AND c = 3", 16, "AND and OR cannot be mixed"),
        ("a = 1 AND (b = 2 OR c = 3 AND d = 4)", 27, "AND and OR cannot be mixed"),
    ],
)
def test_syntax_errors_point_at_the_problem(text: str, position: int, message: str) -> None:
    error = _error(text)
    assert error["position"] == position, error
    assert message in error["msg"], error


def test_a_lowercase_word_used_as_a_value_is_not_blamed_for_a_later_error() -> None:
    # `in` is a valid value here; the problem is the dangling AND at the end.
    error = _error("client_ref = in AND")
    assert error["position"] == len("client_ref = in AND") + 1, error
    assert "ends too early" in error["msg"], error


def test_length_limit() -> None:
    longest = 'f = "' + "x" * (MAX_LENGTH - 6) + '"'
    assert len(longest) == MAX_LENGTH
    assert isinstance(parse(longest), Comparison)
    error = _error(longest + " ")
    assert error["position"] == MAX_LENGTH + 1
    assert str(MAX_LENGTH) in error["msg"]


def test_nesting_limit_points_at_the_parenthesis_too_deep() -> None:
    assert parse("(" * MAX_NESTING + "a = 1" + ")" * MAX_NESTING) is not None
    error = _error("(" * (MAX_NESTING + 1) + "a = 1" + ")" * (MAX_NESTING + 1))
    assert error["position"] == 1
    deep = "a = 1 AND " + "(" * (MAX_NESTING + 1) + "b = 1" + ")" * (MAX_NESTING + 1)
    assert _error(deep)["position"] == len("a = 1 AND ") + 1


def test_condition_limit_counts_across_groups() -> None:
    within = " AND ".join(f"(a = {i} OR b = {i})" for i in range(MAX_CONDITIONS // 2))
    node = parse(within)
    assert node is not None
    assert node.conditions == MAX_CONDITIONS
    error = _error(within + " AND c = 1")
    assert str(MAX_CONDITIONS) in error["msg"]
    assert error["position"] > within.index(f"a = {MAX_CONDITIONS // 2 - 1}")


def test_in_limit_points_at_the_first_value_too_many() -> None:
    values = ", ".join(str(i) for i in range(MAX_IN_VALUES))
    node = parse(f"a IN ({values})")
    assert isinstance(node, Membership)
    assert len(node.values) == MAX_IN_VALUES
    text = f"a IN ({values}, 777)"
    error = _error(text)
    assert error["position"] == text.index("777") + 1


def test_a_long_chain_of_negations_is_not_a_deep_tree() -> None:
    # `-` is one character: 2,000 of them fit in the length limit. The tree (and anything that
    # walks it) must not be 2,000 levels deep.
    node = parse("-" * 2000 + "a = 1")
    depth = 0
    while isinstance(node, Negation):
        node = node.operand
        depth += 1
    assert isinstance(node, Comparison)
    assert depth <= MAX_NESTING


# --- over HTTP --------------------------------------------------------------------------------

# (q, expected 1-based position, a piece of the message)
BAD_Q: list[tuple[str, int, str]] = [
    # Syntax.
    ("status_code =", 14, "ends too early"),
    ("status_code = queued AND", 25, "ends too early"),
    ("(status_code = queued", 22, "ends too early"),
    ("status_code = queued)", 21, "unexpected ')'"),
    ("status_code == queued", 14, "unexpected"),
    ("status_code = queued #", 22, "unexpected character"),
    ('client_ref = "unterminated', 14, "unexpected character"),
    ("client_ref IN ()", 16, "unexpected ')'"),
    # Unknown fields.
    ("nope = 1", 1, "unknown field `nope`"),
    ("run.nope = 1", 1, "unknown field `run.nope`"),
    ("input.message = x", 1, "unknown field"),
    ("status_code = queued AND batch_id = x", 26, "unknown field `batch_id`"),
    ("nope:*", 1, "unknown field"),
    ("nope IN (1)", 1, "unknown field"),
    # Wrong value types.
    ('status_code = "nope*"', 15, "no `status_code` starts with 'nope'"),
    ('status_code > "succ*"', 15, "works only with = and !="),
    ('sequence_index = "x"', 18, "takes an integer"),
    ("sequence_index = 1.5", 18, "takes an integer"),
    ("sequence_index = true", 18, "takes an integer"),
    ("created_at = 5", 14, "RFC 3339"),
    ('created_at = "2026-01-01"', 14, "RFC 3339"),
    ('created_at = "2026-01-01T00:00:00"', 14, "offset"),
    ('started_at > "yesterday"', 14, "RFC 3339"),
    ('run_id = "nope"', 10, "UUID"),
    ("id = 5", 6, "UUID"),
    ("status_code = bogus", 15, "queued"),
    ("status_code = 1", 15, "queued"),
    ("run.failure_stage_code = nowhere", 26, "execution"),
    ("cost = abc", 8, "decimal"),
    ("cost = 0.0000000001", 8, "9 decimal places"),
    ("run.attempt = x", 15, "integer"),
    ("client_ref = true", 14, "string"),
    ("status_code IN (queued, bogus)", 25, "queued"),
    # Out of range.
    ("sequence_index > 99999999999999999999", 18, "out of range"),
    ("sequence_index < -99999999999999999999", 18, "out of range"),
    ("sequence_index > 3000000000", 18, "out of range"),
    ("run.duration_ms = 3000000000", 19, "out of range"),
    ("run.attempt < -3000000000", 15, "out of range"),
    ("cost = 99999999999", 8, "out of range"),
    ("cost = 1e1000000", 8, "out of range"),
    ("cost = 1e-1000000", 8, "decimal places"),
    ('created_at = "0001-01-01T00:00:00+01:00"', 14, "range"),
    ('created_at > "9999-12-31T23:59:59-01:00"', 14, "range"),
    # Operators that do not apply.
    ("status_code < queued", 1, "= and !="),
    ("id > x", 6, "UUID"),
    ('client_ref < "a*"', 14, "prefix"),
    ("cost < null", 8, "null"),
    # Lowercase keywords and mixed junctions.
    ("status_code = queued and cost = 1", 22, "write AND"),
    ("status_code = queued or cost = 1", 22, "write OR"),
    ("not status_code = queued", 1, "write NOT"),
    ("status_code in (queued)", 13, "write IN"),
    ("cost = 1 AND cost = 2 OR cost = 3", 23, "cannot be mixed"),
    ("cost = 1 OR cost = 2 AND cost = 3", 22, "cannot be mixed"),
]


def _position_of(body: dict[str, Any], parameter: str) -> int | None:
    [error] = body["errors"]
    assert error["loc"] == ["query", parameter], body
    position: int | None = error.get("position")
    return position


async def test_every_bad_q_is_a_400_with_its_position(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
    url = f"/v1/batches/{created['id']}/items"
    before = await row_counts()
    problems: list[tuple[str, Any]] = []
    for q, position, message in BAD_Q:
        response = await client.get(url, headers=auth, params={"q": q})
        if response.status_code != 400:
            problems.append((q, response.status_code))
            continue
        body = error_of(response)
        got = _position_of(body, "q")
        if got != position or message not in body["message"]:
            problems.append((q, body))
        elif f"position {position}" not in body["message"]:
            problems.append((q, body["message"]))
    assert not problems, problems
    assert await row_counts() == before


async def test_shape_limits_over_http(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await create_batch(client, auth, [{"message": "a"}])
    url = f"/v1/batches/{created['id']}/items"

    nested = "(" * (MAX_NESTING + 1) + "cost = 1" + ")" * (MAX_NESTING + 1)
    body = error_of(await client.get(url, headers=auth, params={"q": nested}))
    assert _position_of(body, "q") == 1
    ok = "(" * MAX_NESTING + "cost = 1" + ")" * MAX_NESTING
    assert (await client.get(url, headers=auth, params={"q": ok})).status_code == 200

    # 200 conditions fit in 2,048 characters; the limit is 32.
    conditions = [f"cost={i % 10}" for i in range(200)]
    many = " OR ".join(conditions)
    assert len(many) <= MAX_LENGTH
    body = error_of(await client.get(url, headers=auth, params={"q": many}))
    position = _position_of(body, "q")
    assert position is not None
    starts: list[int] = []
    offset = 0
    for condition in conditions:
        starts.append(offset)
        offset += len(condition) + len(" OR ")
    assert position - 1 in starts[MAX_CONDITIONS:], position
    assert str(MAX_CONDITIONS) in body["message"]
    ok = " OR ".join(conditions[:MAX_CONDITIONS])
    assert (await client.get(url, headers=auth, params={"q": ok})).status_code == 200

    huge = 'client_ref = "' + "x" * 10_000 + '"'
    body = error_of(await client.get(url, headers=auth, params={"q": huge}))
    assert _position_of(body, "q") == MAX_LENGTH + 1
    assert "2048" in body["message"]

    values = ", ".join(str(i) for i in range(MAX_IN_VALUES + 1))
    many_values = f"sequence_index IN ({values})"
    body = error_of(await client.get(url, headers=auth, params={"q": many_values}))
    assert _position_of(body, "q") == many_values.index(f" {MAX_IN_VALUES})") + 2
    ok = f"sequence_index IN ({', '.join(str(i) for i in range(MAX_IN_VALUES))})"
    assert (await client.get(url, headers=auth, params={"q": ok})).status_code == 200


async def test_chained_negations_are_answered_not_crashed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
    url = f"/v1/batches/{created['id']}/items"
    for count, expected in ((2000, [0, 1]), (2001, []), (500, [0, 1])):
        for prefix in ("-", "NOT "):
            q = prefix * count + "sequence_index >= 0"
            if len(q) > MAX_LENGTH:
                continue
            response = await client.get(url, headers=auth, params={"q": q})
            assert response.status_code == 200, (prefix, count, response.text[:200])
            assert [item["sequence_index"] for item in response.json()["items"]] == expected


async def test_a_nul_character_in_q_is_a_400_not_a_crash(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}])
    url = f"/v1/batches/{created['id']}/items"
    for q in ('client_ref = "a\x00b"', 'client_ref = "\x00*"', "client_ref IN ('\x00')"):
        response = await client.get(url, headers=auth, params={"q": q})
        body = error_of(response)
        assert _position_of(body, "q") is not None


async def test_keywords_inside_quotes_and_as_values_are_fine(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "a", "client_ref": "and"}])
    for q in ('client_ref = "and"', "client_ref = 'or NOT in'", "client_ref = and"):
        page = await get_page(client, auth, created["id"], q=q)
        assert len(page["items"]) == (0 if "NOT" in q else 1), q


# --- sort_by, fields, embed, limit -----------------------------------------------------------

BAD_PARAMS: list[tuple[str, str, str]] = [
    ("sort_by", "nope", "cannot sort by `nope`"),
    ("sort_by", "run.failure_code", "cannot sort by"),
    ("sort_by", "input", "cannot sort by"),
    ("sort_by", "cost,status_code,created_at,client_ref", "at most 3"),
    ("sort_by", "cost:up", "direction"),
    ("sort_by", "cost:ASC", "direction"),
    ("sort_by", "cost:asc:desc", "direction"),
    ("sort_by", "cost,cost", "twice"),
    ("sort_by", "cost,", "cannot sort by"),
    ("sort_by", ",", "cannot sort by"),
    ("fields", "nope", "'nope'"),
    ("fields", "id,nope", "'nope'"),
    ("fields", "run", "'run'"),
    ("fields", "id,,cost", "unknown"),
    ("fields", "ID", "'ID'"),
    ("embed", "nope", "'nope'"),
    ("embed", "run,model", "'model'"),
    ("embed", "node_runs", "'node_runs'"),
    ("embed", "RUN", "'RUN'"),
]


async def test_bad_sort_fields_and_embed_are_400s_naming_the_parameter(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}])
    url = f"/v1/batches/{created['id']}/items"
    before = await row_counts()
    problems: list[tuple[str, str, Any]] = []
    for parameter, value, message in BAD_PARAMS:
        response = await client.get(url, headers=auth, params={parameter: value})
        if response.status_code != 400:
            problems.append((parameter, value, response.status_code))
            continue
        body = error_of(response)
        [error] = body["errors"]
        if error["loc"] != ["query", parameter] or message not in body["message"]:
            problems.append((parameter, value, body))
    assert not problems, problems
    assert await row_counts() == before


async def test_limit_out_of_range_is_a_422(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await create_batch(client, auth, [{"message": "a"}])
    url = f"/v1/batches/{created['id']}/items"
    for limit in ("0", "501", "-1", "abc", "1.5"):
        body = error_of(
            await client.get(url, headers=auth, params={"limit": limit}), 422, "VALIDATION_ERROR"
        )
        assert ["query", "limit"] in [list(error["loc"]) for error in body["errors"]], body
    for limit in ("1", "500"):
        assert (await client.get(url, headers=auth, params={"limit": limit})).status_code == 200


async def test_good_parameters_that_look_odd_are_accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
    for params in (
        {"sort_by": " cost:desc , client_ref "},
        {"sort_by": "cost:"},
        {"sort_by": "sequence_index,cost"},
        {"fields": " id , status_code "},
        {"fields": "id,id"},
        {"embed": ""},
        {"q": "  status_code = queued  "},
    ):
        page = await get_page(client, auth, created["id"], **params)
        assert len(page["items"]) == 2, params


# --- cursors ----------------------------------------------------------------------------------


def _cursor_error(response: httpx.Response) -> None:
    body = error_of(response)
    [error] = body["errors"] or [{"loc": ["query", "pq"]}]
    assert error["loc"] == ["query", "pq"], body
    assert "cursor" in body["message"], body


async def test_cursors_are_bound_to_their_batch_query_and_sort(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    inputs = [{"message": f"m{i}", "client_ref": f"r{i}"} for i in range(6)]
    first = await create_batch(client, auth, inputs)
    other = await create_batch(client, auth, inputs)
    page = await get_page(client, auth, first["id"], limit=2, q="sequence_index >= 0")
    cursor = page["next"]
    assert cursor is not None
    url = f"/v1/batches/{first['id']}/items"
    before = await row_counts()

    # From another batch.
    _cursor_error(
        await client.get(
            f"/v1/batches/{other['id']}/items",
            headers=auth,
            params={"limit": 2, "q": "sequence_index >= 0", "pq": cursor},
        )
    )
    # With another q, with no q, with another sort.
    for params in (
        {"q": "sequence_index >= 1"},
        {},
        {"q": "sequence_index >= 0", "sort_by": "cost"},
        {"q": "sequence_index >= 0", "sort_by": "sequence_index:desc"},
    ):
        _cursor_error(await client.get(url, headers=auth, params={**params, "pq": cursor}))
    # `previous` and `first` are bound the same way.
    second = await get_page(client, auth, first["id"], limit=2, q="sequence_index >= 0", pq=cursor)
    for bound in (second["previous"], second["first"]):
        _cursor_error(
            await client.get(
                url,
                headers=auth,
                params={"q": "sequence_index >= 2", "pq": bound, "from_prev": "true"},
            )
        )
    assert await row_counts() == before

    # The same list asked the same way (an equivalent sort, blank padding, another limit or
    # projection) keeps working.
    equivalent: list[dict[str, Any]] = [
        {"q": " sequence_index >= 0 "},
        {"q": "sequence_index >= 0", "sort_by": "sequence_index:asc"},
        {"q": "sequence_index >= 0", "limit": 3, "fields": "id"},
    ]
    for params in equivalent:
        next_page = await get_page(client, auth, first["id"], **params, pq=cursor)
        assert [item["id"] for item in next_page["items"]][:1] == [second["items"][0]["id"]]


async def test_edited_cursors_are_rejected(
    client: httpx.AsyncClient, auth: dict[str, str], row_counts: RowCounts
) -> None:
    created = await create_batch(client, auth, [{"message": f"m{i}"} for i in range(5)])
    page = await get_page(client, auth, created["id"], limit=2)
    cursor: str = page["next"]
    url = f"/v1/batches/{created['id']}/items"
    payload, _, signature = cursor.rpartition(".")
    flipped = "A" if payload[5] != "A" else "B"
    before = await row_counts()
    for edited in (
        payload[:5] + flipped + payload[6:] + "." + signature,
        payload + "." + signature[::-1],
        payload + "." + signature[:-1],
        cursor[:-1],
        cursor + "x",
        payload,
        "not-a-cursor",
        "",
        ".",
        page["first"].rpartition(".")[0] + "." + signature,
        "%00",
        "x" * 5000,
    ):
        _cursor_error(await client.get(url, headers=auth, params={"limit": 2, "pq": edited}))
    assert await row_counts() == before


async def test_cursor_of_an_unknown_or_foreign_batch(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    created = await create_batch(client, auth, [{"message": "a"}, {"message": "b"}])
    page = await get_page(client, auth, created["id"], limit=1)
    missing = uuid.uuid4()
    response = await client.get(f"/v1/batches/{missing}/items", headers=auth, params={"limit": 1})
    error_of(response, 404, "NOT_FOUND")
    stranger = {"Authorization": f"Bearer {await make_key(org='other', email='x@other.test')}"}
    response = await client.get(
        f"/v1/batches/{created['id']}/items",
        headers=stranger,
        params={"limit": 1, "pq": page["next"]},
    )
    error_of(response, 404, "NOT_FOUND")

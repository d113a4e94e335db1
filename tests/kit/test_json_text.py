"""Where a JSON text holds what neither database stores: the first such escape, exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runflow.kit.json_text import first_unstorable, token_position

MARK = "▸"  # marks, in a case, where the problem is; removed before parsing


def located(case: str) -> tuple[str, int]:
    """The JSON text of a case and the character offset its mark stood at."""
    assert case.count(MARK) == 1
    return case.replace(MARK, ""), case.index(MARK)


@pytest.mark.parametrize(
    "case",
    [
        r'{"m":"a\nb' + MARK + r'\u0000c"}',
        r'{"m":"\ud83d\ude00 then ' + MARK + r'\u0000"}',
        r'{"m":"\\u0000 is text, ' + MARK + r'\u0000 is not"}',
        r'{"m":"\\\\' + MARK + r'\u0000"}',
        r'{"a":"\u00e9\"\/\t","k' + MARK + r'\u0000":1}',
        r'{"a":{"b":[1,"x",{"c":"\u0041' + MARK + r'\u0000"}]}}',
        '{"m":"é€😀' + MARK + r'\u0000"}',
        '[\n  "line one",\n  "' + MARK + r'\u0000"' + "\n]",
        r'{"m":"\ud83d\ude00' + MARK + r'\ud800"}',
        r'{"m":"' + MARK + r'\ud800\u0000"}',
        r'{"m":"' + MARK + r'\ud800x\udc00"}',
        r'{"m":"' + MARK + r'\ud800\ud800\udc00"}',
        r'{"m":"' + MARK + r'\uDC00"}',
        r'{"m":"' + MARK + r'\uD800"}',
    ],
    ids=[
        "nul-after-newline-escape",
        "nul-after-surrogate-pair",
        "nul-after-escaped-backslash-text",
        "nul-after-two-escaped-backslashes",
        "nul-in-key",
        "nul-in-nested-value",
        "nul-after-non-ascii",
        "nul-on-third-line",
        "lone-high-after-pair",
        "lone-high-before-nul",
        "high-and-low-apart",
        "high-then-pair",
        "lone-low-upper-case",
        "lone-high-at-end",
    ],
)
def test_first_unstorable_escape_is_found_where_it_stands(case: str) -> None:
    body, position = located(case)
    json.loads(body)

    problem = first_unstorable(body)

    assert problem is not None
    assert problem.position == position
    kind = "NUL character" if body[position + 2 :].startswith("0000") else "unpaired"
    assert kind in problem.reason


@pytest.mark.parametrize(
    "body",
    [
        r'{"m":"\\u0000"}',
        r'{"\\ud800":"\\\\u0000"}',
        r'{"m":"\ud83d\ude00\uDBFF\uDFFF"}',
        r'{"m":"\u0001\u0100\u00d8\ue000\\ud800"}',
        '{"m":"plain é"}',
    ],
    ids=["escaped-backslash", "escaped-backslashes-in-key", "pairs", "near-misses", "plain"],
)
def test_text_that_only_looks_unstorable_is_clean(body: str) -> None:
    json.loads(body)

    assert first_unstorable(body) is None


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(item) for item in value)
    return False


# The characters that make escapes, and so the look-alikes of a problem, with a few others.
_TEXT = st.text(
    st.sampled_from(
        ["\x00", "\\", '"', "u", "0", "\ud800", "\udc00", "\ud83d", "\ude00", "é", "😀", "\n", "a"]
    ),
    max_size=8,
)
_VALUES = st.recursive(
    st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(_VALUES, st.booleans())
def test_a_problem_is_found_exactly_when_a_string_holds_one(value: Any, ensure_ascii: bool) -> None:
    try:
        body = json.dumps(value, ensure_ascii=ensure_ascii)
        body.encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(value, ensure_ascii=True)

    problem = first_unstorable(body)

    assert (problem is not None) == _has_unstorable(json.loads(body))
    if problem is not None:
        # A real escape: preceded by an even run of backslashes.
        backslashes = len(body[: problem.position]) - len(body[: problem.position].rstrip("\\"))
        assert backslashes % 2 == 0
        assert body[problem.position : problem.position + 2] == "\\u"
        # The first one: blank it (same length) and what is left comes later, or not at all.
        blanked = body[: problem.position] + "\\u0020" + body[problem.position + 6 :]
        later = first_unstorable(blanked)
        assert later is None or later.position > problem.position


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ('{"note":"NaN","x":' + MARK + "NaN}", "NaN"),
        ('{"a":-Infinity,"b":' + MARK + "Infinity}", "Infinity"),
        ('{"a":0.000001e400,"b":"1e400","c":' + MARK + "1e400}", "1e400"),
        ("[" + MARK + "-Infinity]", "-Infinity"),
    ],
    ids=["after-a-string-saying-it", "after-its-negative", "after-a-longer-number", "negative"],
)
def test_a_refused_token_is_found_outside_strings_as_a_whole(case: str, token: str) -> None:
    body, position = located(case)

    assert token_position(body, token) == position

"""Where in a JSON text lies what `StrictJsonRequest` refuses, and how to say it.

Positions are those of `json.JSONDecodeError.pos`: 0-based offsets in characters (code
points) of the UTF-8-decoded body, not bytes, so a `é` before the problem counts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A whole string literal of a valid JSON text. Outside strings such a text has neither `"`
# nor `\`, so scanning from the start finds every string, in order, and nothing else.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
# The longest start of a valid JSON text free of what cannot be stored. A `\` stands only in
# strings and always opens an escape, read whole: `\\` is one (so the text `\\u0000` is a
# backslash and `u0000`), a surrogate pair is one. What stops it is a `\u0000`, or a
# surrogate escape that is not a high one followed at once by a low one. All in the regex
# engine, as a body may hold millions of escapes.
_STORABLE = re.compile(
    r"""(?:
        [^\\]++
      | \\[^u]
      | \\u(?!0000|[dD][89a-fA-F])[0-9a-fA-F]{4}
      | \\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}
    )*+""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class TextProblem:
    """Something in a parsed JSON text that neither database stores, and where it is."""

    position: int
    reason: str


def nul_byte(position: int, *, in_string: bool) -> TextProblem:
    """A raw 0x00 byte, which `json.loads` reports as a control character or a stray one."""
    where = " in a string" if in_string else ""
    return TextProblem(
        position, f"a NUL character (a raw 0x00 byte){where}; the body may not contain NUL"
    )


def _nul(position: int) -> TextProblem:
    return TextProblem(
        position, "a NUL character (the escape \\u0000) in a string; strings may not contain NUL"
    )


def _lone_surrogate(position: int, escape: str) -> TextProblem:
    return TextProblem(
        position,
        f"an unpaired UTF-16 surrogate (the escape {escape}) in a string; "
        "a surrogate escape must be a high one followed at once by a low one",
    )


def first_unstorable(body: str) -> TextProblem | None:
    """The first escape, in keys and values alike, that decodes to a NUL or to an unpaired
    surrogate; `body` must be JSON that `json.loads` accepts."""
    storable = _STORABLE.match(body)
    assert storable is not None  # `(...)*+` matches, if only the empty start
    position = storable.end()
    escape = body[position : position + 6]
    if not escape:
        return None
    if escape == "\\u0000":
        return _nul(position)
    return _lone_surrogate(position, escape)


def token_position(body: str, token: str) -> int:
    """Where `token` (a number or a constant such as `NaN`) first stands as a whole token
    outside every string; 0 if nowhere."""
    whole = re.compile(rf"(?<![\w.+-]){re.escape(token)}(?![\w.])")
    start = 0
    for string in _STRING.finditer(body):
        if found := whole.search(body, start, string.start()):
            return found.start()
        start = string.end()
    found = whole.search(body, start)
    return found.start() if found else 0

"""The `q` filter language: the AIP-160 subset of DESIGN §7, parsed into a small syntax tree.

    q        := term | term (AND term)+ | term (OR term)+      AND and OR never mix unparenthesised
    term     := NOT term | -term | ( q ) | field op value | field:* | field IN (value, …)
    op       := = != < <= > >=
    value    := "string" | 'string' | number | word | null | true | false

Keywords are uppercase. A trailing `*` on a string value means "starts with".

The parser is LALR with the tree built by an inline transformer, so nothing recurses: every node
is made when its rule is reduced, and the shape limits (nesting, conditions, IN values) are
checked right there, before a deeper node can exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from runflow.errors import BadRequest

MAX_LENGTH = 2048
MAX_NESTING = 8
MAX_CONDITIONS = 32
MAX_IN_VALUES = 100

KEYWORDS = ("AND", "OR", "NOT", "IN")

_GRAMMAR = r"""
?start: expr
?expr: term | conjunction | disjunction
conjunction: term (_AND term)+
disjunction: term (_OR term)+
?term: _NOT term         -> negation
     | MINUS term        -> negation
     | LPAR expr RPAR    -> group
     | FIELD OP value    -> comparison
     | FIELD COLON STAR  -> presence
     | FIELD _IN LPAR value (COMMA value)* RPAR -> membership
value: STRING | NUMBER | WORD | NULL | TRUE | FALSE

_AND: "AND"
_OR: "OR"
_NOT: "NOT"
_IN: "IN"
NULL: "null"
TRUE: "true"
FALSE: "false"
MINUS: "-"
LPAR: "("
RPAR: ")"
COLON: ":"
STAR: "*"
COMMA: ","
OP: "<=" | ">=" | "!=" | "=" | "<" | ">"
FIELD: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/
WORD: /[A-Za-z_][A-Za-z0-9_.\-]*\*?/
NUMBER: /-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/
STRING: /"(\\.|[^"\\])*"/ | /'(\\.|[^'\\])*'/

%ignore /\s+/
"""

ValueKind = Literal["string", "number", "word", "null", "true", "false"]


@dataclass(frozen=True)
class Value:
    kind: ValueKind
    text: str
    position: int


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    value: Value
    position: int
    conditions: int = 1
    nesting: int = 0


@dataclass(frozen=True)
class Presence:
    field: str
    position: int
    conditions: int = 1
    nesting: int = 0


@dataclass(frozen=True)
class Membership:
    field: str
    values: tuple[Value, ...]
    position: int
    conditions: int = 1
    nesting: int = 0


@dataclass(frozen=True)
class Negation:
    operand: Node
    position: int
    conditions: int
    nesting: int


@dataclass(frozen=True)
class Junction:
    op: Literal["AND", "OR"]
    operands: tuple[Node, ...]
    position: int
    conditions: int
    nesting: int


Node = Comparison | Presence | Membership | Negation | Junction


class QueryError(BadRequest):
    """A `q` that cannot be used, with the 1-based position of the problem."""

    def __init__(self, problem: str, position: int | None, parameter: str = "q") -> None:
        where = f" at position {position}" if position is not None else ""
        error: dict[str, Any] = {"loc": ["query", parameter], "msg": problem, "type": "query"}
        if position is not None:
            error["position"] = position
        super().__init__(f"`{parameter}` is invalid{where}: {problem}", errors=[error])


def _position(token: Token) -> int:
    return (token.start_pos or 0) + 1


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    escaped = False
    for char in body:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


@v_args(inline=True)
class _Build(Transformer[Token, Node]):
    def value(self, token: Token) -> Value:
        kind: ValueKind = {
            "STRING": "string",
            "NUMBER": "number",
            "WORD": "word",
            "NULL": "null",
            "TRUE": "true",
            "FALSE": "false",
        }[token.type]  # type: ignore[assignment]
        text = _unquote(token.value) if kind == "string" else token.value
        return Value(kind, text, _position(token))

    def comparison(self, name: Token, op: Token, value: Value) -> Comparison:
        return Comparison(name.value, op.value, value, _position(name))

    def presence(self, name: Token, _colon: Token, _star: Token) -> Presence:
        return Presence(name.value, _position(name))

    def membership(self, name: Token, _lpar: Token, *rest: Value | Token) -> Membership:
        values = tuple(item for item in rest if isinstance(item, Value))
        if len(values) > MAX_IN_VALUES:
            raise QueryError(
                f"more than {MAX_IN_VALUES} values in IN", values[MAX_IN_VALUES].position
            )
        return Membership(name.value, values, _position(name))

    def negation(self, *args: Any) -> Node:
        # `NOT` is filtered out of the children (`_NOT`), `-` is not: the operand is last.
        operand: Node = args[-1]
        if isinstance(operand, Negation):
            # NOT NOT x is x (conditions never compile to NULL): a chain of 2,000 `-` stays
            # one level deep, so nothing that walks the tree recurses 2,000 times.
            return operand.operand
        return Negation(operand, operand.position, operand.conditions, operand.nesting)

    def group(self, lpar: Token, inner: Node, _rpar: Token) -> Node:
        nesting = inner.nesting + 1
        if nesting > MAX_NESTING:
            raise QueryError(f"parentheses nested deeper than {MAX_NESTING}", _position(lpar))
        return replace(inner, nesting=nesting)

    def conjunction(self, *operands: Node) -> Junction:
        return _junction("AND", operands)

    def disjunction(self, *operands: Node) -> Junction:
        return _junction("OR", operands)


def _junction(op: Literal["AND", "OR"], operands: tuple[Node, ...]) -> Junction:
    conditions = sum(operand.conditions for operand in operands)
    if conditions > MAX_CONDITIONS:
        raise QueryError(f"more than {MAX_CONDITIONS} conditions", operands[-1].position)
    nesting = max(operand.nesting for operand in operands)
    return Junction(op, operands, operands[0].position, conditions, nesting)


_PARSER = Lark(_GRAMMAR, parser="lalr", transformer=_Build(), maybe_placeholders=False)


# Quoted strings first, so a keyword inside one is skipped.
_LOWERCASE_KEYWORD = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\b(and|or|not|in)\b")


def _explain(error: UnexpectedInput, text: str) -> QueryError:
    position = error.pos_in_stream + 1 if error.pos_in_stream is not None else len(text) + 1
    ends_early = isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    )
    if ends_early:
        position = len(text) + 1
    for match in _LOWERCASE_KEYWORD.finditer(text):
        # Only a keyword at the error, or right before it, is to blame: `client_ref = in` is a
        # value, not a misspelt IN, when the problem is further on.
        if match.group(1) and not text[match.end(1) : position - 1].strip():
            keyword = match.group(1).upper()
            return QueryError(f"keywords are uppercase: write {keyword}", match.start(1) + 1)
    if ends_early:
        return QueryError("the expression ends too early", position)
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = error.expected
        if (token.type == "_OR" and "_AND" in expected) or (
            token.type == "_AND" and "_OR" in expected
        ):
            return QueryError("AND and OR cannot be mixed without parentheses", position)
        return QueryError(f"unexpected {token.value!r}", position)
    if isinstance(error, UnexpectedCharacters):
        return QueryError(f"unexpected character {text[position - 1]!r}", position)
    return QueryError("the expression cannot be parsed", position)


def parse(text: str) -> Node | None:
    """The syntax tree of `q` (None when blank); `QueryError` (400) for anything unusable."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    if not text.strip():
        return None
    if "\x00" in text:
        # PostgreSQL cannot take a NUL in a text parameter; no stored value contains one.
        raise QueryError("NUL characters are not allowed", text.index("\x00") + 1)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        raise _explain(error, text) from None
    node: Node = tree  # type: ignore[assignment]
    return node

"""Validate one item's input against a model's declarations, filling defaults.

Every problem of an item is reported, not just the first, so a customer fixes a batch in one
round trip. Errors are `{"loc": [...], "msg": ..., "type": ...}` like FastAPI's own.
"""

from __future__ import annotations

import math
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from runflow.catalog.declarations import SEED_MAX, DefaultBehavior, ValidatorCode, VariableType

Loc = tuple[str | int, ...]


class InputDeclaration(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def variable_type_code(self) -> str: ...
    @property
    def validator_code(self) -> str | None: ...
    @property
    def validator_attrs(self) -> dict[str, Any] | None: ...
    @property
    def is_required(self) -> bool: ...
    @property
    def default_value(self) -> dict[str, Any] | None: ...
    @property
    def default_behavior_code(self) -> str | None: ...


@dataclass
class InputCheck:
    """The outcome for one item: the resolved input, or the list of problems."""

    value: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, loc: Loc, msg: str, kind: str) -> None:
        self.errors.append({"loc": list(loc), "msg": msg, "type": kind})


MEDIA_TYPES = frozenset({VariableType.IMAGE, VariableType.VIDEO})
MEDIA_URL_PREFIX = "https://"
# As for callback URLs: what servers and proxies commonly take, and a bound on the work a
# request can ask of the SSRF guard.
MAX_MEDIA_URL_LENGTH = 2048

_MEDIA_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*,", re.ASCII)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_type(declared: str, value: Any) -> str | None:
    """The reason `value` does not have the declared type, or None when it does."""
    match declared:
        case VariableType.STRING | VariableType.ENUM:
            return None if isinstance(value, str) else "must be a string"
        case VariableType.INTEGER:
            return None if _is_integer(value) else "must be an integer"
        case VariableType.SEED:
            if not _is_integer(value) or not 0 <= value <= SEED_MAX:
                return f"must be an integer seed between 0 and {SEED_MAX}"
            return None
        case VariableType.FLOAT:
            ok = (_is_integer(value) or isinstance(value, float)) and math.isfinite(value)
            return None if ok else "must be a number"
        case VariableType.BOOLEAN:
            return None if isinstance(value, bool) else "must be a boolean"
        case VariableType.IMAGE | VariableType.VIDEO:
            return _check_media_reference(declared, value)
        case VariableType.JSON:
            return None
    return f"has an unsupported declared type {declared!r}"


def _check_media_reference(kind: str, value: Any) -> str | None:
    problem = f"must be a media id, an https URL or a data: URI of {kind} content"
    if not isinstance(value, str) or not value:
        return problem
    if value.startswith(MEDIA_URL_PREFIX):
        return None
    if value.startswith("data:"):
        match = _MEDIA_DATA_URI.match(value)
        mime = match.group("mime") if match else None
        return None if mime and mime.startswith(f"{kind}/") else problem
    try:
        uuid.UUID(value)
    except ValueError:
        return problem
    return None


def _check_media_url_length(declared: str, value: Any) -> str | None:
    # Only URLs: a data: URI is as long as its content, which the media size cap bounds.
    is_url = declared in MEDIA_TYPES and value.startswith(MEDIA_URL_PREFIX)
    if is_url and len(value) > MAX_MEDIA_URL_LENGTH:
        return f"must be at most {MAX_MEDIA_URL_LENGTH} characters long"
    return None


def _is_multiple(value: float, step: float) -> bool:
    if isinstance(value, int) and isinstance(step, int):
        return value % step == 0
    # Decimals as written, not binary fractions: as floats, 0.5 % 0.1 is 0.0999….
    try:
        return Decimal(repr(value)) % Decimal(repr(step)) == 0
    except InvalidOperation:  # a quotient past decimal's 28 digits: far off any step's scale
        quotient = value / step
        return quotient == math.floor(quotient)


def _check_validator(code: str | None, attrs: dict[str, Any], value: Any) -> str | None:
    """The reason `value` breaks the declared validator, or None when it passes."""
    match code:
        case None | "":
            return None
        case ValidatorCode.RANGE:
            low, high = attrs.get("min"), attrs.get("max")
            if low is not None and value < low:
                return f"must be ≥ {low}"
            if high is not None and value > high:
                return f"must be ≤ {high}"
            return _check_validator(ValidatorCode.MULTIPLE_OF, attrs, value)
        case ValidatorCode.MULTIPLE_OF:
            step = attrs.get("multiple_of")
            if step and not _is_multiple(value, step):
                return f"must be a multiple of {step}"
            return None
        case ValidatorCode.LENGTH:
            low, high = attrs.get("min_length"), attrs.get("max_length")
            if low is not None and len(value) < low:
                return f"must be at least {low} characters long"
            if high is not None and len(value) > high:
                return f"must be at most {high} characters long"
            return None
        case ValidatorCode.REGEX:
            if not re.fullmatch(attrs["pattern"], value):
                return f"must match the pattern {attrs['pattern']!r}"
            return None
        case ValidatorCode.CHOICES:
            choices = attrs.get("values", [])
            return None if value in choices else f"must be one of {choices}"
    return f"has an unsupported validator {code!r}"


def _default_for(declaration: InputDeclaration) -> tuple[bool, Any]:
    """Whether an absent input gets a value, and which."""
    if declaration.default_behavior_code == DefaultBehavior.RANDOM_SEED:
        return True, secrets.randbelow(SEED_MAX + 1)
    if declaration.default_behavior_code == DefaultBehavior.OMIT:
        return False, None
    if declaration.default_value is not None and "value" in declaration.default_value:
        return True, declaration.default_value["value"]
    return False, None


@dataclass(frozen=True)
class Declaration:
    """A plain copy of an input declaration: checking 100 items reads it hundreds of times,
    and ORM attribute access is the slow way to do that."""

    name: str
    variable_type_code: str
    validator_code: str | None
    validator_attrs: dict[str, Any] | None
    is_required: bool
    default_value: dict[str, Any] | None
    default_behavior_code: str | None

    @classmethod
    def of(cls, declaration: InputDeclaration) -> Declaration:
        return cls(
            declaration.name,
            declaration.variable_type_code,
            declaration.validator_code,
            declaration.validator_attrs,
            declaration.is_required,
            declaration.default_value,
            declaration.default_behavior_code,
        )


def check_input(
    declarations: Sequence[InputDeclaration], given: dict[str, Any], loc: Loc = ()
) -> InputCheck:
    """Validate `given` against `declarations`; unknown names, types, validators, required."""
    check = InputCheck()
    by_name = {declaration.name: declaration for declaration in declarations}
    for name in given:
        if name not in by_name:
            check.fail(
                (*loc, name),
                f"is not an input of this model ({', '.join(by_name)})",
                "unknown_input",
            )
    for declaration in declarations:
        name = declaration.name
        if name not in given or given[name] is None:
            if declaration.is_required:
                check.fail((*loc, name), "is required", "missing")
                continue
            has_default, default = _default_for(declaration)
            if has_default:
                check.value[name] = default
            continue
        value = given[name]
        problem = _check_type(declaration.variable_type_code, value)
        kind = "type_error"
        if problem is None:
            kind = "value_error"
            problem = _check_media_url_length(declaration.variable_type_code, value)
        if problem is None:
            try:
                problem = _check_validator(
                    declaration.validator_code, declaration.validator_attrs or {}, value
                )
            except (TypeError, re.error):
                # A declaration whose validator does not fit its type (e.g. a range on a
                # string): the value cannot satisfy it, and the request must not 500.
                problem = f"does not satisfy the {declaration.validator_code} validator"
        if problem is not None:
            check.fail((*loc, name), problem, kind)
        else:
            check.value[name] = value
    return check


def media_input_names(declarations: Sequence[InputDeclaration]) -> tuple[str, ...]:
    """The inputs whose values are media: a media id, an https URL or a data: URI."""
    return tuple(
        declaration.name
        for declaration in declarations
        if declaration.variable_type_code in MEDIA_TYPES
    )


def media_urls(names: Sequence[str], value: dict[str, Any]) -> list[tuple[str, str]]:
    """`(input name, URL)` for each of the media inputs `names` that a checked input gives as
    an https URL — the ones Runflow will fetch."""
    return [
        (name, given)
        for name in names
        if isinstance(given := value.get(name), str) and given.startswith(MEDIA_URL_PREFIX)
    ]

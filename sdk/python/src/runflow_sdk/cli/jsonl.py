"""Reading a JSON Lines file of batch items: every line checked before anything is sent."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_ITEMS_PER_BATCH = 100


class BadInput(Exception):
    """The file cannot be sent as it is; the message names the line."""


@dataclass(frozen=True)
class Item:
    line: int
    value: dict[str, Any]


def read_items(source: str) -> list[Item]:
    """The items of `source` (a path, or `-` for stdin); blank lines are skipped."""
    name = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {name}: {exc}") from exc
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{name} line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise BadInput(f"{name} line {number}: an item must be a JSON object")
        items.append(Item(number, value))
    if not items:
        raise BadInput(f"{name} holds no items")
    return items


def chunks(items: list[Item]) -> list[list[Item]]:
    """Batches of at most 100 items, in file order."""
    return [
        items[start : start + MAX_ITEMS_PER_BATCH]
        for start in range(0, len(items), MAX_ITEMS_PER_BATCH)
    ]

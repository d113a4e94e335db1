"""The bytes a callback carries, frozen when the delivery is written.

Compact JSON (`kit/json_codec.py`) over `.isoformat()` datetimes (``+00:00``, never ``Z``): the
customer's HMAC check runs over exactly these bytes on every attempt, so nothing may re-serialise
them later.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from runflow.kit import json_codec
from runflow.kit.money import format_money


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def encode(document: dict[str, Any]) -> bytes:
    return json_codec.dumps_bytes(document)


def batch_payload(
    *,
    batch_id: uuid.UUID,
    status: str,
    output: dict[str, Any] | None,
    duration_ms: int | None,
    created_at: datetime,
    completed_at: datetime | None,
    metadata: dict[str, Any] | None,
) -> bytes:
    return encode(
        {
            "event": f"batch.{status}",
            "batch_id": str(batch_id),
            "status": status,
            "output": output,
            "duration_ms": duration_ms,
            "created_at": _iso(created_at),
            "completed_at": _iso(completed_at),
            "metadata": metadata,
        }
    )


def run_payload(
    *,
    run_id: uuid.UUID,
    status: str,
    output: dict[str, Any] | None,
    error: dict[str, Any] | None,
    cost: Decimal | None,
    duration_ms: int | None,
    created_at: datetime,
    completed_at: datetime | None,
    metadata: dict[str, Any] | None,
) -> bytes:
    return encode(
        {
            "event": f"run.{status}",
            "run_id": str(run_id),
            "status": status,
            "output": output,
            "error": error,
            "cost": format_money(cost if cost is not None else Decimal(0)),
            "duration_ms": duration_ms,
            "created_at": _iso(created_at),
            "completed_at": _iso(completed_at),
            "metadata": metadata,
        }
    )

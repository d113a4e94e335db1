"""What the live event streams carry (`GET /v1/batches/{id}/events`, `…/runs/{id}/events`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BATCH_ENDED = frozenset({"succeeded", "partially_succeeded", "failed", "cancelled"})
RUN_ENDED = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class StreamEvent:
    """One Server-Sent Event: `snapshot`, `item`, `progress`, or the terminal
    `batch.<status>` / `run.<status>`, with its JSON `data` and resumable `id`."""

    event: str
    data: dict[str, Any]
    id: str | None

    @property
    def terminal(self) -> bool:
        """The last event of its stream."""
        return self.event.startswith(("batch.", "run."))


@dataclass(frozen=True)
class BatchProgress:
    """A batch's counters, as `batches.wait(on_progress=…)` reports them."""

    status_code: str
    items_total: int
    items_succeeded: int
    items_failed: int
    items_cancelled: int
    cost: str | None

    @property
    def items_done(self) -> int:
        return self.items_succeeded + self.items_failed + self.items_cancelled

    @property
    def ended(self) -> bool:
        return self.status_code in BATCH_ENDED

    @classmethod
    def of(cls, batch: Any) -> BatchProgress:
        """From a batch as the API returns it (a model or the JSON of a stream event)."""
        fields: dict[str, Any] = batch if isinstance(batch, dict) else vars(batch)
        get = fields.get
        return cls(
            status_code=str(get("status_code") or ""),
            items_total=int(get("items_total") or 0),
            items_succeeded=int(get("items_succeeded") or 0),
            items_failed=int(get("items_failed") or 0),
            items_cancelled=int(get("items_cancelled") or 0),
            cost=get("cost"),
        )

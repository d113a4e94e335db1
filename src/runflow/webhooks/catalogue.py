"""Every event type an endpoint can subscribe to (DESIGN §15), with what it means and an example.

An event's `data` is the resource as its GET returns it at the moment of the event, so the
examples are abridged resources: enough to show the shape a receiver parses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

ALL = "*"


class EventType(enum.StrEnum):
    BATCH_CREATED = "batch.created"
    BATCH_SUCCEEDED = "batch.succeeded"
    BATCH_PARTIALLY_SUCCEEDED = "batch.partially_succeeded"
    BATCH_FAILED = "batch.failed"
    BATCH_CANCELLED = "batch.cancelled"
    RUN_SUCCEEDED = "run.succeeded"
    RUN_FAILED = "run.failed"
    RUN_CANCELLED = "run.cancelled"
    EVALUATION_COMPLETED = "evaluation.completed"
    MEDIA_CREATED = "media.created"
    CREDITS_LOW = "credits.low"
    WEBHOOK_TEST = "webhook.test"
    WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled"


RUN_ENDED = (EventType.RUN_SUCCEEDED, EventType.RUN_FAILED, EventType.RUN_CANCELLED)

_ORG = "0193a2b1-7c4d-7e00-8000-000000000001"
_BATCH = "0193a2b1-7c4d-7e00-8000-0000000000b1"
_RUN = "0193a2b1-7c4d-7e00-8000-0000000000c1"
_MODEL = "0193a2b1-7c4d-7e00-8000-0000000000d1"
_MEDIA = "0193a2b1-7c4d-7e00-8000-0000000000e1"
_ENDPOINT = "0193a2b1-7c4d-7e00-8000-0000000000f1"
_AT = "2026-12-04T10:15:00.123456+00:00"
_DONE = "2026-12-04T10:15:02.654321+00:00"


def _batch(status: str, done: int) -> dict[str, Any]:
    ended = status not in ("queued", "running")
    return {
        "id": _BATCH,
        "org_id": _ORG,
        "target_type": "model",
        "target_id": _MODEL,
        "status_code": status,
        "items_total": 2,
        "items_succeeded": done,
        "items_failed": 2 - done if ended and status != "cancelled" else 0,
        "items_cancelled": 2 - done if status == "cancelled" else 0,
        "cost": "0.004" if done else "0",
        "metadata": {"campaign": "spring"},
        "callback_url": None,
        "created_at": _AT,
        "completed_at": _DONE if ended else None,
        "input": [{"prompt": "a red fox"}, {"prompt": "a blue heron"}],
        "output": {"items": ["…one entry per item…"]} if ended else None,
        "items": [{"sequence_index": 0, "run_id": _RUN, "client_ref": None, "status_code": status}],
        "links": {"self": f"/v1/batches/{_BATCH}", "items": f"/v1/batches/{_BATCH}/items"},
    }


def _run(status: str) -> dict[str, Any]:
    failed = status == "failed"
    return {
        "id": _RUN,
        "org_id": _ORG,
        "model_id": _MODEL,
        "target_type": "model",
        "status_code": status,
        "source_code": "api",
        "input": {"prompt": "a red fox", "seed": 7},
        "output": None if status != "succeeded" else {"image": _MEDIA},
        "cost": "0.002" if status == "succeeded" else "0",
        "batch_id": _BATCH,
        "client_ref": "fox-1",
        "created_at": _AT,
        "completed_at": _DONE,
        "failure_code": "MODEL_ERROR" if failed else None,
        "failure_message": "The model raised ValueError." if failed else None,
        "links": {"self": f"/v1/runs/{_RUN}", "batch": f"/v1/batches/{_BATCH}"},
    }


_EVALUATION = {
    "id": _RUN,
    "org_id": _ORG,
    "status_code": "succeeded",
    "passed": False,
    "score": 0.41,
    "issues": [{"code": "BLURRY", "severity": "major", "message": "The image is blurred."}],
    "media_id": _MEDIA,
    "criteria": {"min_score": 0.5, "min_width": None, "min_height": None, "ignore": []},
    "created_at": _AT,
    "completed_at": _DONE,
    "links": {"self": f"/v1/evaluations/{_RUN}", "run": f"/v1/runs/{_RUN}"},
}
_MEDIA_OBJECT = {
    "id": _MEDIA,
    "url": f"https://runflow.example.com/v1/media/{_MEDIA}/content?expires=…&signature=…",
    "content_type": "image/png",
    "size_bytes": 48213,
    "width": 512,
    "height": 512,
    "folder": "campaigns/spring",
    "source_code": "upload",
    "created_at": _AT,
}
_ENDPOINT_OBJECT = {
    "id": _ENDPOINT,
    "url": "https://hooks.example.com/runflow",
    "event_types": ["*"],
    "enabled": False,
    "disabled_reason": "FAILING",
    "created_at": _AT,
}


@dataclass(frozen=True)
class EventTypeInfo:
    type: EventType
    description: str
    data: dict[str, Any]


CATALOGUE: tuple[EventTypeInfo, ...] = (
    EventTypeInfo(EventType.BATCH_CREATED, "A batch was accepted and queued.", _batch("queued", 0)),
    EventTypeInfo(
        EventType.BATCH_SUCCEEDED, "Every item of a batch succeeded.", _batch("succeeded", 2)
    ),
    EventTypeInfo(
        EventType.BATCH_PARTIALLY_SUCCEEDED,
        "A batch ended with some items succeeded and some failed.",
        _batch("partially_succeeded", 1),
    ),
    EventTypeInfo(
        EventType.BATCH_FAILED, "A batch ended with no item succeeded.", _batch("failed", 0)
    ),
    EventTypeInfo(
        EventType.BATCH_CANCELLED,
        "A cancelled batch ended: its last running item stopped.",
        _batch("cancelled", 0),
    ),
    EventTypeInfo(EventType.RUN_SUCCEEDED, "A run succeeded.", _run("succeeded")),
    EventTypeInfo(
        EventType.RUN_FAILED, "A run failed for good (retries included).", _run("failed")
    ),
    EventTypeInfo(EventType.RUN_CANCELLED, "A run was cancelled.", _run("cancelled")),
    EventTypeInfo(
        EventType.EVALUATION_COMPLETED,
        "An evaluation ended: its verdict, score and issues, or why it could not judge.",
        _EVALUATION,
    ),
    EventTypeInfo(
        EventType.MEDIA_CREATED,
        "A media object was uploaded (directly or in three steps).",
        _MEDIA_OBJECT,
    ),
    EventTypeInfo(
        EventType.CREDITS_LOW,
        "The credit balance fell below the org's threshold.",
        {"org_id": _ORG, "credit_balance": "4.50", "threshold": "5.00"},
    ),
    EventTypeInfo(
        EventType.WEBHOOK_TEST,
        "Sent by `POST /v1/webhooks/endpoints/{id}/test` to that endpoint only.",
        {"endpoint_id": _ENDPOINT, "message": "A test event from Runflow."},
    ),
    EventTypeInfo(
        EventType.WEBHOOK_ENDPOINT_DISABLED,
        "An endpoint was disabled after failing every attempt for too long; sent to the org's "
        "other endpoints.",
        _ENDPOINT_OBJECT,
    ),
)

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
_RUNS = (_RUN, "0193a2b1-7c4d-7e00-8000-0000000000c2")
_ITEMS = ("0193a2b1-7c4d-7e00-8000-0000000000a1", "0193a2b1-7c4d-7e00-8000-0000000000a2")
_INPUTS = ({"prompt": "a red fox"}, {"prompt": "a blue heron"})
_MODEL = "0193a2b1-7c4d-7e00-8000-0000000000d1"
_MEDIA = "0193a2b1-7c4d-7e00-8000-0000000000e1"
_ENDPOINT = "0193a2b1-7c4d-7e00-8000-0000000000f1"
_AT = "2026-12-04T10:15:00.123456+00:00"
_DONE = "2026-12-04T10:15:02.654321+00:00"


def _item_status(batch_status: str, index: int, done: int) -> str:
    """Item `index` of a two-item batch of `batch_status` whose first `done` items succeeded."""
    if index < done:
        return "succeeded"
    return {"queued": "queued", "cancelled": "cancelled"}.get(batch_status, "failed")


def _batch(status: str, done: int) -> dict[str, Any]:
    ended = status not in ("queued", "running")
    statuses = [_item_status(status, index, done) for index in range(len(_INPUTS))]
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
        "input": list(_INPUTS),
        "output": {"items": [_item_output(index, item) for index, item in enumerate(statuses)]}
        if ended
        else None,
        "items": [
            {
                "id": _ITEMS[index],
                "sequence_index": index,
                "client_ref": None,
                "run_id": _RUNS[index],
                "status_code": item,
            }
            for index, item in enumerate(statuses)
        ],
        "links": {"self": f"/v1/batches/{_BATCH}", "items": f"/v1/batches/{_BATCH}/items"},
    }


def _item_output(index: int, status: str) -> dict[str, Any]:
    failed = status == "failed"
    return {
        "sequence_index": index,
        "client_ref": None,
        "run_id": _RUNS[index],
        "status_code": status,
        "output": {"image": _MEDIA} if status == "succeeded" else None,
        "error": {
            "code": "MODEL_ERROR",
            "message": "The model raised ValueError.",
            "stage": "execution",
        }
        if failed
        else None,
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
    "issues": [
        {"code": "BLURRY", "severity": "major", "message": "The image is blurred.", "score": 0.38}
    ],
    "media_id": _MEDIA,
    "criteria": {"min_score": 0.5, "min_width": None, "min_height": None, "ignore": []},
    "created_at": _AT,
    "completed_at": _DONE,
    "links": {"self": f"/v1/evaluations/{_RUN}", "run": f"/v1/runs/{_RUN}"},
}
_MEDIA_OBJECT = {
    "id": _MEDIA,
    "url": f"https://runflow.example.com/v1/media/{_MEDIA}/content?expires=…&signature=…",
    "url_expires_at": "2026-12-04T11:15:00+00:00",
    "content_type": "image/png",
    "size_bytes": 48213,
    "sha256": "9f2c4e0b7a1d5c3e8f6a4b2d0c9e7f5a3b1d9c7e5f3a1b9d7c5e3f1a9b7d5c3e",
    "width": 512,
    "height": 512,
    "duration_ms": None,
    "folder": "campaigns/spring",
    "source_code": "upload",
    "source_url": None,
    "run_id": None,
    "created_at": _AT,
}
_ENDPOINT_OBJECT = {
    "id": _ENDPOINT,
    "org_id": _ORG,
    "url": "https://hooks.example.com/runflow",
    "description": None,
    "event_types": ["*"],
    "enabled": False,
    "disabled_reason": "FAILING",
    "failing_since": "2026-11-29T10:15:00+00:00",
    "metadata": None,
    "created_at": "2026-11-01T09:00:00+00:00",
    "updated_at": _AT,
    "links": {
        "self": f"/v1/webhooks/endpoints/{_ENDPOINT}",
        "secret": f"/v1/webhooks/endpoints/{_ENDPOINT}/secret",
        "deliveries": f"/v1/webhooks/deliveries?q=endpoint_id+%3D+%22{_ENDPOINT}%22",
    },
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

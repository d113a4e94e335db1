"""An evaluation as the API shows it, made from its run's columns (DESIGN §14): the verdict
from the run's output, the image and criteria from its input."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from runflow.evaluations.issues import IssueCode
from runflow.evaluations.schemas import Criteria, EvaluationRead, IssueRead
from runflow.media.signing import UrlSigner


def evaluation_read(
    run: Mapping[str, Any], signer: UrlSigner, url_ttl: timedelta
) -> EvaluationRead:
    """The evaluation of a run's columns (as a mapping: an ORM row's or a listed row's)."""
    return EvaluationRead.model_validate(
        {
            **{name: run[name] for name in (*RUN_FIELDS, "metadata")},
            **output_fields(run["output"]),
            **input_fields(run["input"], signer, url_ttl),
            "links": links(run["id"]),
        }
    )


RUN_FIELDS = (
    "id",
    "org_id",
    "status_code",
    "cost",
    "created_at",
    "started_at",
    "completed_at",
    "failure_code",
    "failure_message",
)


def output_fields(output: Mapping[str, Any] | None) -> dict[str, Any]:
    verdict = output or {}
    issues = verdict.get("issues")
    return {
        "passed": verdict.get("passed"),
        "score": verdict.get("score"),
        "issues": None if issues is None else [IssueRead.model_validate(i) for i in issues],
        "metrics": verdict.get("metrics"),
    }


def input_fields(given: Mapping[str, Any], signer: UrlSigner, url_ttl: timedelta) -> dict[str, Any]:
    """The image's media id (once the engine has stored it) and signed URL, the prompt and
    the criteria, from the run's stored input."""
    media_id = _media_id(given.get("image"))
    image_url = None if media_id is None else signer.content_url(media_id, url_ttl)[0]
    ignore = [code for code in str(given.get("ignore") or "").split(",") if code]
    criteria = Criteria(
        min_score=given.get("min_score", 0.5),
        min_width=given.get("min_width") or None,
        min_height=given.get("min_height") or None,
        ignore=[IssueCode(code) for code in ignore],
    )
    return {
        "media_id": media_id,
        "image_url": image_url,
        "prompt": given.get("prompt") or None,
        "criteria": criteria,
    }


def _media_id(image: object) -> uuid.UUID | None:
    if not isinstance(image, str):
        return None
    try:
        return uuid.UUID(image)
    except ValueError:
        return None  # still the URL or data URI it was given: fetched when the run starts


def links(evaluation_id: uuid.UUID) -> dict[str, str]:
    return {"self": f"/v1/evaluations/{evaluation_id}", "run": f"/v1/runs/{evaluation_id}"}

"""Evaluation shapes (DESIGN §14): the create body, its criteria, and the evaluation object."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from runflow.evaluations.issues import IssueCode, Severity
from runflow.kit.schemas import (
    NO_NUL_PATTERN,
    WHOLE_FLOATS,
    CallbackUrl,
    CursorPage,
    MoneyString,
    check_callback_url,
    check_metadata,
)

MAX_PROMPT_LENGTH = 4000
MAX_SIDE = 65535
Side = Annotated[int, Strict(), Field(ge=1, le=MAX_SIDE), WHOLE_FLOATS]


class Criteria(BaseModel):
    """What the image must meet to pass, beyond having no major or critical issue."""

    model_config = ConfigDict(extra="forbid")

    # Strict: JSON `true` is not the number 1 (nor a string a number).
    min_score: float = Field(
        default=0.5, ge=0, le=1, strict=True, description="Least score that passes."
    )
    min_width: Side | None = Field(default=None, description="Pixels.")
    min_height: Side | None = Field(default=None, description="Pixels.")
    ignore: list[IssueCode] = Field(
        default_factory=list, max_length=len(IssueCode), description="Issue codes not to judge."
    )


class EvaluationCreate(BaseModel):
    """POST body: the image (a media id, an https URL or a data URI) and what to judge it by."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "image": "https://example.com/generated.png",
                    "prompt": "a lighthouse at dusk",
                    "criteria": {"min_score": 0.6, "ignore": ["NSFW"]},
                }
            ]
        },
    )

    image: Annotated[str, Field(min_length=1, max_length=16 * 1024 * 1024)]
    prompt: Annotated[str, Field(max_length=MAX_PROMPT_LENGTH, pattern=NO_NUL_PATTERN)] | None = (
        None
    )
    criteria: Criteria | None = None
    metadata: dict[str, Any] | None = None
    callback_url: CallbackUrl | None = None

    _check_callback_url = field_validator("callback_url")(check_callback_url)
    _check_metadata = field_validator("metadata")(check_metadata)


class IssueRead(BaseModel):
    code: IssueCode
    severity: Severity
    message: str
    score: float = Field(description="Quality on this issue's aspect, 0–1 (0.5 at its limit).")


class EvaluationRead(BaseModel):
    """An evaluation: the verdict on one image. Its id is also the id of the run that made it."""

    id: uuid.UUID
    org_id: uuid.UUID
    status_code: str = Field(description="queued, running, succeeded, failed (or cancelled).")
    passed: bool | None = None
    score: float | None = None
    issues: list[IssueRead] | None = None
    metrics: dict[str, Any] | None = None
    media_id: uuid.UUID | None = None
    image_url: str | None = None
    prompt: str | None = None
    criteria: Criteria | None = None
    metadata: dict[str, Any] | None = None
    cost: MoneyString | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    links: dict[str, str] | None = None


class EvaluationList(CursorPage):
    items: list[EvaluationRead]

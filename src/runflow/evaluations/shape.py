"""An evaluation as the API shows it, made from its run's columns (DESIGN §14): the verdict
from the run's output, the image and criteria from its input."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.evaluations.issues import IssueCode
from runflow.evaluations.schemas import Criteria, EvaluationRead, IssueRead
from runflow.media import repository as media_repository
from runflow.media.signing import UrlSigner


@dataclass(frozen=True)
class ImageUrls:
    """Signed URLs for the images of evaluations, only ever of media of the evaluation's own org.

    A signed URL lets anyone read the bytes, and an evaluation's input may name any media id:
    the engine refuses another org's when the run starts, but until then (and for ever, on the
    run that failed so) the id sits in the input. So each URL is signed only after checking
    the media's org, for every evaluation shown in one query.
    """

    signer: UrlSigner
    ttl: timedelta
    owners: Mapping[uuid.UUID, uuid.UUID]  # media id → its org

    @classmethod
    async def of(
        cls,
        session: AsyncSession,
        signer: UrlSigner,
        ttl: timedelta,
        inputs: Iterable[Mapping[str, Any]],
    ) -> ImageUrls:
        """For the evaluations of these run inputs."""
        media_ids = {media_id for given in inputs if (media_id := image_media_id(given))}
        return cls(signer, ttl, await media_repository.media_owners(session, media_ids))

    def url(self, org_id: uuid.UUID, media_id: uuid.UUID) -> str | None:
        if self.owners.get(media_id) != org_id:
            return None
        return self.signer.content_url(media_id, self.ttl)[0]


def evaluation_read(run: Mapping[str, Any], image_urls: ImageUrls) -> EvaluationRead:
    """The evaluation of a run's columns (as a mapping: an ORM row's or a listed row's)."""
    return EvaluationRead.model_validate(
        {
            **{name: run[name] for name in (*RUN_FIELDS, "metadata")},
            **output_fields(run["output"]),
            **input_fields(run["input"], run["org_id"], image_urls),
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


def input_fields(
    given: Mapping[str, Any], org_id: uuid.UUID, image_urls: ImageUrls
) -> dict[str, Any]:
    """The image's media id (once the engine has stored it) and signed URL, the prompt and
    the criteria, from the run's stored input."""
    media_id = image_media_id(given)
    image_url = None if media_id is None else image_urls.url(org_id, media_id)
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


def image_media_id(given: Mapping[str, Any]) -> uuid.UUID | None:
    """The media id the input's image names, if it names one."""
    image = given.get("image")
    if not isinstance(image, str):
        return None
    try:
        return uuid.UUID(image)
    except ValueError:
        return None  # still the URL or data URI it was given: fetched when the run starts


def links(evaluation_id: uuid.UUID) -> dict[str, str]:
    return {"self": f"/v1/evaluations/{evaluation_id}", "run": f"/v1/runs/{evaluation_id}"}

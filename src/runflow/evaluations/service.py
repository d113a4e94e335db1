"""Evaluation use cases. An evaluation is a run of the built-in model `runflow/image-quality`:
created through the runs' own path (validation, SSRF guard, idempotency, callbacks), read back
in the shape of DESIGN §14."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runflow.auth.dependencies import Principal
from runflow.catalog.builtin import IMAGE_QUALITY
from runflow.catalog.dispatch import dispatch_target
from runflow.catalog.specs import BUILTIN_OWNER
from runflow.errors import NotFound, ValidationFailed
from runflow.evaluations.schemas import EvaluationCreate, EvaluationRead
from runflow.evaluations.shape import RUN_FIELDS, ImageUrls, evaluation_read, image_media_id
from runflow.kit.egress import EgressGuard
from runflow.media.signing import UrlSigner
from runflow.runs import repository
from runflow.runs import service as runs
from runflow.runs.schemas import RunCreate

_CRITERIA_INPUTS = ("min_score", "min_width", "min_height", "ignore")


async def model_id(session: AsyncSession, principal: Principal) -> uuid.UUID:
    model = await dispatch_target(session, principal.org_id, BUILTIN_OWNER, IMAGE_QUALITY.slug)
    assert model is not None  # a built-in model, public to every org
    return model.id


def model_input(request: EvaluationCreate) -> dict[str, Any]:
    """The run input of an evaluation: the image, the prompt and the criteria as inputs."""
    given: dict[str, Any] = {"image": request.image}
    if request.prompt is not None:
        given["prompt"] = request.prompt
    criteria = request.criteria
    if criteria is not None:
        given["min_score"] = criteria.min_score
        given["min_width"] = criteria.min_width or 0
        given["min_height"] = criteria.min_height or 0
        given["ignore"] = ",".join(code.value for code in criteria.ignore)
    return given


def _body_loc(loc: list[Any]) -> list[Any]:
    """An input's error location (`body.input.min_score`) in this body (`body.criteria.…`)."""
    if loc[:2] == ["body", "input"] and len(loc) > 2:
        inside = ["criteria"] if loc[2] in _CRITERIA_INPUTS else []
        return ["body", *inside, *loc[2:]]
    return loc


async def create_evaluation(
    session: AsyncSession,
    principal: Principal,
    request: EvaluationCreate,
    egress: EgressGuard,
    signer: UrlSigner,
    url_ttl: timedelta,
) -> EvaluationRead:
    given = model_input(request)
    image_urls = await ImageUrls.of(session, signer, url_ttl, [given])
    if (media_id := image_media_id(given)) and image_urls.url(principal.org_id, media_id) is None:
        # Refused now rather than failed when the run starts: nothing of it is created.
        error = {
            "loc": ["body", "image"],
            "msg": f"media {media_id} does not exist",
            "type": "value",
        }
        raise ValidationFailed("The evaluation is invalid; nothing was created.", errors=[error])
    run_request = RunCreate.model_construct(
        input=given,
        metadata=request.metadata,
        callback_url=request.callback_url,
        client_ref=None,
    )
    try:
        run = await runs.create_run(
            session, principal, BUILTIN_OWNER, IMAGE_QUALITY.slug, run_request, egress
        )
    except ValidationFailed as failed:
        errors = [{**error, "loc": _body_loc(error["loc"])} for error in failed.errors or []]
        message = "The evaluation is invalid; nothing was created."
        raise ValidationFailed(message, errors=errors) from None
    return evaluation_read(run.model_dump(), image_urls)


async def read_evaluation(
    session: AsyncSession,
    principal: Principal,
    evaluation_id: uuid.UUID,
    signer: UrlSigner,
    url_ttl: timedelta,
) -> EvaluationRead:
    found = await repository.get_run(session, principal.org_id, evaluation_id)
    if found is None or found[0].model_id != await model_id(session, principal):
        raise NotFound(f"Evaluation {evaluation_id} does not exist.")
    run = found[0]
    # The mapping a listed row gives: `metadata` is the ORM's `metadata_`.
    values = {name: getattr(run, name) for name in (*RUN_FIELDS, "input", "output")}
    image_urls = await ImageUrls.of(session, signer, url_ttl, [run.input])
    return evaluation_read({**values, "metadata": run.metadata_}, image_urls)

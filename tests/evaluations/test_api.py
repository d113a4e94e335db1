"""`/v1/evaluations` end to end: images by data URI, media id and https URL through the engine;
the verdict read back one at a time and through the query kit; batches on the model; bad
input refused with nothing written."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import httpx
import numpy as np
import pytest
from bench.calibration import photo
from PIL import Image

from runflow.auth.roles import Role
from tests.batches.helpers import assert_error, error_locs
from tests.callbacks.receiver import Receiver
from tests.conftest import MakeKey, RowCounts
from tests.engine.polling import create_batch, eventually, terminal_batch
from tests.media.helpers import download, uploaded
from tests.media.server import MediaServer

pytestmark = pytest.mark.engine(worker_concurrency=4)


def _png(pixels: np.ndarray[Any, Any]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _data_uri(data: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


SHARP = _png(photo("astronaut"))
BLANK = _png(np.full((300, 400, 3), 200, np.uint8))


async def _evaluate(client: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/evaluations", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _finished(
    client: httpx.AsyncClient, auth: dict[str, str], evaluation_id: str
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await client.get(f"/v1/evaluations/{evaluation_id}", headers=auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["status_code"] in ("succeeded", "failed", "cancelled") else None

    done: dict[str, Any] = await eventually(probe, timeout_s=60)
    return done


async def test_an_evaluation_by_data_uri_reads_back_its_verdict(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await _evaluate(
        client,
        auth,
        image=_data_uri(SHARP),
        prompt="an astronaut",
        criteria={"min_score": 0.6, "ignore": ["NSFW"]},
        metadata={"job": 7},
    )
    assert created["status_code"] == "queued"
    assert (created["passed"], created["score"], created["issues"]) == (None, None, None)
    assert created["links"] == {
        "self": f"/v1/evaluations/{created['id']}",
        "run": f"/v1/runs/{created['id']}",
    }
    done = await _finished(client, auth, created["id"])
    assert done["status_code"] == "succeeded", done
    assert done["passed"] is True
    assert 0.6 <= done["score"] <= 1
    assert done["prompt"] == "an astronaut"
    assert done["metadata"] == {"job": 7}
    assert done["criteria"] == {
        "min_score": 0.6,
        "min_width": None,
        "min_height": None,
        "ignore": ["NSFW"],
    }
    metrics = done["metrics"]
    assert (metrics["width"], metrics["height"], metrics["frames"]) == (512, 512, 1)
    for name in ("sharpness", "noise_sigma", "brightness", "clipped_dark", "clipped_bright"):
        assert isinstance(metrics[name], float | int), name
    for name in ("contrast", "colorfulness", "blockiness"):
        assert isinstance(metrics[name], float | int), name
    assert done["cost"] == "0.0002"
    # The data URI became a media object of the org, readable at its signed URL.
    assert done["media_id"] is not None
    image = await download(client, done["image_url"])
    assert image.status_code == 200
    assert image.content == SHARP


async def test_a_blank_image_fails_with_a_critical_issue_and_a_callback(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media = await uploaded(client, auth, BLANK)
    async with Receiver() as receiver:
        created = await _evaluate(
            client, auth, image=media["id"], callback_url=receiver.url("/verdicts")
        )
        done = await _finished(client, auth, created["id"])
        await eventually(lambda: _arrived(receiver))
    assert done["passed"] is False
    blank = next(issue for issue in done["issues"] if issue["code"] == "BLANK")
    assert blank["severity"] == "critical"
    assert set(blank) == {"code", "severity", "message", "score"}
    assert done["media_id"] == media["id"]
    delivered = receiver.received[0]
    assert delivered.path == "/verdicts"
    payload = json.loads(delivered.body)
    assert payload["run_id"] == created["id"]
    assert payload["output"]["passed"] is False


async def _arrived(receiver: Receiver) -> bool:
    return bool(receiver.received)


async def test_an_https_image_is_fetched_and_judged(
    client: httpx.AsyncClient, auth: dict[str, str], media_server: MediaServer
) -> None:
    url = media_server.file("/photo.png", SHARP, "image/png")
    done = await _finished(client, auth, (await _evaluate(client, auth, image=url))["id"])
    assert done["status_code"] == "succeeded"
    assert done["passed"] is True


async def test_what_is_not_an_image_fails_with_its_failure_code(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    not_png = _data_uri(b"\x89PNG\r\n\x1a\n but truncated")
    done = await _finished(client, auth, (await _evaluate(client, auth, image=not_png))["id"])
    assert done["status_code"] == "failed"
    assert done["failure_code"] == "INPUT_FETCH_FAILED"
    assert done["failure_message"]
    assert done["passed"] is None


async def test_the_list_filters_sorts_projects_and_pages(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = [(await _evaluate(client, auth, image=_data_uri(SHARP)))["id"] for _ in range(2)]
    ids.append((await _evaluate(client, auth, image=_data_uri(BLANK)))["id"])
    for evaluation_id in ids:
        await _finished(client, auth, evaluation_id)
    # A run of another model is not an evaluation.
    echo = await client.post("/v1/models/runflow/echo/runs", json={"input": {}}, headers=auth)
    assert (
        await client.get(f"/v1/evaluations/{echo.json()['id']}", headers=auth)
    ).status_code == 404

    async def listed(query: str) -> dict[str, Any]:
        response = await client.get(f"/v1/evaluations?{query}", headers=auth)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    assert len((await listed(""))["items"]) == 3
    passing = await listed("q=passed = true")
    assert sorted(item["id"] for item in passing["items"]) == sorted(ids[:2])
    failing = await listed("q=passed = false AND status_code = succeeded")
    assert [item["id"] for item in failing["items"]] == [ids[2]]
    low = await listed("q=score < 0.5")
    assert [item["id"] for item in low["items"]] == [ids[2]]
    by_score = await listed("sort_by=score:asc&fields=id,score,passed")
    assert next(item["id"] for item in by_score["items"]) == ids[2]
    assert set(by_score["items"][0]) == {"id", "score", "passed"}
    first = await listed("limit=2&sort_by=score:desc&fields=id,score")
    second = await listed(f"limit=2&sort_by=score:desc&fields=id,score&pq={first['next']}")
    assert len(first["items"]) == 2
    assert [item["id"] for item in second["items"]] == [ids[2]]
    assert_error(
        await client.get("/v1/evaluations?q=score = maybe", headers=auth), 400, "BAD_REQUEST"
    )


async def test_a_batch_on_the_model_carries_each_verdict(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    batch = await create_batch(
        client,
        auth,
        [{"image": _data_uri(SHARP)}, {"image": _data_uri(BLANK)}],
        model="runflow/image-quality",
    )
    ended = await terminal_batch(client, auth, batch["id"], timeout_s=60)
    assert ended["status_code"] == "succeeded"
    # The batch's manifest carries each verdict.
    manifest = {item["sequence_index"]: item["output"] for item in ended["output"]["items"]}
    assert (manifest[0]["passed"], manifest[1]["passed"]) == (True, False)
    assert {issue["code"] for issue in manifest[1]["issues"]} >= {"BLANK"}
    listed = (await client.get("/v1/evaluations", headers=auth)).json()["items"]
    assert len(listed) == 2  # the batch's runs are evaluations too


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"image": "x", "criteria": {"min_score": 2}}, ["body", "criteria", "min_score"]),
        ({"image": "x", "criteria": {"strict": True}}, ["body", "criteria", "strict"]),
        ({"image": "x", "criteria": {"ignore": ["UGLY"]}}, ["body", "criteria", "ignore", 0]),
        ({"image": "x", "criteria": {"min_width": 0}}, ["body", "criteria", "min_width"]),
        ({"image": "x", "criteria": {"min_width": True}}, ["body", "criteria", "min_width"]),
        ({"image": "x", "criteria": {"min_width": 64.5}}, ["body", "criteria", "min_width"]),
        ({"image": "x", "criteria": {"min_score": "0.5"}}, ["body", "criteria", "min_score"]),
        ({"image": ""}, ["body", "image"]),
        ({"prompt": "no image"}, ["body", "image"]),
        ({"image": "x", "colour": "red"}, ["body", "colour"]),
        ({"image": "not a media id or a URL"}, ["body", "image"]),
        ({"image": "data:text/plain;base64,aGVsbG8="}, ["body", "image"]),
        ({"image": "http://example.com/a.png"}, ["body", "image"]),
        ({"image": "https://169.254.169.254/latest/a.png"}, ["body", "image"]),
        ({"image": "x", "callback_url": "ftp://example.com/"}, ["body", "callback_url"]),
    ],
    ids=[
        "score-out-of-range",
        "unknown-criterion",
        "unknown-issue-code",
        "zero-width",
        "boolean-width",
        "fractional-width",
        "string-score",
        "empty-image",
        "missing-image",
        "unknown-field",
        "not-an-image-reference",
        "data-uri-of-text",
        "plain-http",
        "blocked-address",
        "bad-callback",
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    row_counts: RowCounts,
    body: dict[str, Any],
    loc: list[Any],
) -> None:
    before = await row_counts()
    refused = assert_error(
        await client.post("/v1/evaluations", json=body, headers=auth), 422, "VALIDATION_ERROR"
    )
    assert loc in error_locs(refused), refused
    assert await row_counts() == before


async def test_tenancy_and_roles(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey
) -> None:
    created = await _evaluate(client, auth, image=_data_uri(BLANK))
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    assert (await client.get(f"/v1/evaluations/{created['id']}", headers=other)).status_code == 404
    assert (await client.get("/v1/evaluations", headers=other)).json()["items"] == []
    viewer = {"Authorization": f"Bearer {await make_key(email='v@acme.test', role=Role.VIEWER)}"}
    assert (await client.get(f"/v1/evaluations/{created['id']}", headers=viewer)).status_code == 200
    refused = await client.post("/v1/evaluations", json={"image": _data_uri(BLANK)}, headers=viewer)
    assert refused.status_code == 403


async def test_an_idempotency_key_makes_one_evaluation(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Idempotency-Key": "eval-1"}
    body = {"image": _data_uri(BLANK)}
    first = await client.post("/v1/evaluations", json=body, headers=headers)
    again = await client.post("/v1/evaluations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len((await client.get("/v1/evaluations", headers=auth)).json()["items"]) == 1


async def test_another_orgs_media_is_refused_and_never_signed(
    client: httpx.AsyncClient, auth: dict[str, str], make_key: MakeKey, row_counts: RowCounts
) -> None:
    """A signed URL lets anyone read the bytes: an evaluation naming another org's media id
    is refused, and one that names it anyway (a plain run of the model) gets no URL."""
    theirs = await uploaded(client, auth, SHARP)
    ours = await uploaded(client, auth, BLANK)
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    before = await row_counts()
    refused = assert_error(
        await client.post("/v1/evaluations", json={"image": theirs["id"]}, headers=other),
        422,
        "VALIDATION_ERROR",
    )
    assert error_locs(refused) == [["body", "image"]]
    assert await row_counts() == before

    # The runs' path takes any media id, and the engine refuses another org's at start.
    run = await client.post(
        "/v1/models/runflow/image-quality/runs",
        json={"input": {"image": theirs["id"]}},
        headers=other,
    )
    assert run.status_code == 201, run.text
    queued = (await client.get(f"/v1/evaluations/{run.json()['id']}", headers=other)).json()
    assert queued["image_url"] is None
    done = await _finished(client, other, run.json()["id"])
    assert done["failure_code"] == "INPUT_FETCH_FAILED"
    assert done["image_url"] is None
    (listed,) = (await client.get("/v1/evaluations", headers=other)).json()["items"]
    assert listed["id"] == done["id"]
    assert listed["image_url"] is None

    # The owner's own evaluation of its media is signed as before.
    own = await _evaluate(client, auth, image=ours["id"])
    assert (await download(client, own["image_url"])).content == BLANK

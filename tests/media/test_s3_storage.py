"""The S3-compatible storage, against a real S3 server on loopback (moto's, over HTTP)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from runflow.config import Settings
from runflow.db.engine import Database
from runflow.media.s3 import S3Storage
from runflow.media.storage import StoredObjectMissing
from tests.engine.polling import create_batch, terminal_batch
from tests.media.helpers import (
    SVG,
    download,
    image_size,
    local_path,
    media_rows,
    png,
    stored_files,
    upload,
    uploaded,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "runflow-media"
PREFIX = "tenant-a/"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[str]:
    """A fresh, empty bucket per test."""
    client = _client(s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    try:
        yield BUCKET
    finally:
        if BUCKET in {entry["Name"] for entry in client.list_buckets().get("Buckets", [])}:
            for key in _keys(s3_endpoint):
                client.delete_object(Bucket=BUCKET, Key=key)
            client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def settings(
    settings: Settings, s3_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The bucket is configured the way an operator does it: RUNFLOW_S3_* variables."""
    environment = {
        "RUNFLOW_S3_BUCKET": bucket,
        "RUNFLOW_S3_PREFIX": PREFIX,
        "RUNFLOW_S3_ENDPOINT_URL": s3_endpoint,
        "RUNFLOW_S3_REGION": "us-east-1",
        "RUNFLOW_S3_ACCESS_KEY_ID": "test",
        "RUNFLOW_S3_SECRET_ACCESS_KEY": "test",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    from_env = Settings()
    s3 = {name: getattr(from_env, name) for name in Settings.model_fields if name.startswith("s3_")}
    assert s3["s3_bucket"] == bucket
    return settings.model_copy(update=s3)


def _client(endpoint: str) -> S3Client:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _keys(endpoint: str) -> list[str]:
    listing = _client(endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _storage(endpoint: str) -> S3Storage:
    return S3Storage(
        BUCKET,
        prefix=PREFIX,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
    )


async def test_objects_round_trip_through_the_bucket(
    s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    storage = _storage(s3_endpoint)
    key_a, key_b = f"{uuid.uuid4()}/{uuid.uuid4()}", f"{uuid.uuid4()}/{uuid.uuid4()}"
    source = tmp_path / "file.bin"
    source.write_bytes(b"x" * 3_000_000)  # several read chunks

    await storage.put_bytes(key_a, b"hello", "image/png")
    await storage.put_file(key_b, source, "video/mp4")

    assert await storage.read_all(key_a) == b"hello"
    assert await storage.read_all(key_b) == source.read_bytes()
    assert _keys(s3_endpoint) == sorted([PREFIX + key_a, PREFIX + key_b])
    await storage.delete(key_a)
    with pytest.raises(StoredObjectMissing):
        await storage.open(key_a)
    await storage.delete(key_a)  # deleting twice is fine
    assert _keys(s3_endpoint) == [PREFIX + key_b]


async def test_uploads_are_stored_in_the_bucket_and_served_by_signed_url(
    client: httpx.AsyncClient, auth: dict[str, str], s3_endpoint: str, settings: Settings
) -> None:
    data = png(50, 40)
    media = await uploaded(client, auth, data)

    keys = _keys(s3_endpoint)
    assert len(keys) == 1
    assert keys[0].startswith(PREFIX)
    assert keys[0].endswith(media["id"])
    assert stored_files(settings.data_dir) == []  # nothing on local disk
    assert (await download(client, media["url"])).content == data

    assert (await client.delete(f"/v1/media/{media['id']}", headers=auth)).status_code == 204
    assert _keys(s3_endpoint) == []


async def test_a_refused_file_leaves_the_bucket_empty(
    client: httpx.AsyncClient, auth: dict[str, str], s3_endpoint: str, database: Database
) -> None:
    response = await upload(client, auth, SVG, filename="a.svg", content_type="image/svg+xml")
    assert response.status_code == 422
    assert _keys(s3_endpoint) == []
    assert await media_rows(database) == (0, 0)


async def test_a_three_step_upload_lands_in_the_bucket(
    client: httpx.AsyncClient, auth: dict[str, str], s3_endpoint: str
) -> None:
    data = png(33, 22)
    upload_ = (await client.post("/v1/media/uploads", json={}, headers=auth)).json()
    assert (await client.put(local_path(upload_["upload_url"]), content=data)).status_code == 200
    done = await client.post(f"/v1/media/uploads/{upload_['id']}/complete", headers=auth)
    media = done.json()
    [key] = _keys(s3_endpoint)  # stored at PUT time, under a key of that PUT's own
    assert key.startswith(PREFIX)
    assert (await download(client, media["url"])).content == data
    assert (await client.delete(f"/v1/media/{media['id']}", headers=auth)).status_code == 204
    assert _keys(s3_endpoint) == []


@pytest.mark.engine(worker_concurrency=2)
async def test_run_inputs_and_outputs_live_in_the_bucket(
    client: httpx.AsyncClient, auth: dict[str, str], s3_endpoint: str
) -> None:
    uri = "data:image/png;base64," + base64.b64encode(png(40, 30)).decode()
    created = await create_batch(client, auth, [{"image": uri, "scale": 2}], "runflow/upscale")

    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "succeeded", batch
    output_url = batch["output"]["items"][0]["output"]["image"]
    assert image_size((await download(client, output_url)).content) == (80, 60)
    assert len(_keys(s3_endpoint)) == 2  # the data: URI input and the output


@pytest.mark.engine(worker_concurrency=2)
async def test_an_unavailable_bucket_fails_the_run_at_dispatch(
    client: httpx.AsyncClient, auth: dict[str, str], s3_endpoint: str, database: Database
) -> None:
    _client(s3_endpoint).delete_bucket(Bucket=BUCKET)
    uri = "data:image/png;base64," + base64.b64encode(png(40, 30)).decode()
    created = await create_batch(client, auth, [{"image": uri}], "runflow/upscale")

    batch = await terminal_batch(client, auth, created["id"], timeout_s=60)

    assert batch["status_code"] == "failed", batch
    error = batch["output"]["items"][0]["error"]
    assert (error["code"], error["stage"]) == ("MEDIA_STORE_FAILED", "dispatch")
    assert "NoSuchBucket" in error["message"]
    assert await media_rows(database) == (0, 0)

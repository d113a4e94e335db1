"""Own models join the catalog at start: idempotently, kept when removed, visible to their org."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from runflow.catalog.models_file import load_models_files
from runflow.catalog.registry import register_models
from runflow.catalog.specs import ModelSpec
from runflow.db.engine import Database
from tests.conftest import MakeKey
from tests.own_models.conftest import MODELS, VIGNETTE

_CATALOG_TABLES = ("models", "model_inputs", "model_outputs", "model_pricing_rules", "orgs")


async def catalog_rows(database: Database) -> dict[str, list[dict[str, Any]]]:
    async with database.transaction(write=False) as session:
        return {
            table: [
                dict(row._mapping)
                for row in await session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in _CATALOG_TABLES
        }


async def register(database: Database, specs: Sequence[ModelSpec]) -> None:
    async with database.transaction() as session:
        await register_models(session, specs)


def own_models(*paths: Path) -> list[ModelSpec]:
    return load_models_files(paths or (MODELS, VIGNETTE))


async def test_registering_the_same_files_again_changes_no_row(database: Database) -> None:
    before = await catalog_rows(database)
    assert any(row["owner"] == "acme" for row in before["models"])
    await register(database, own_models())
    assert await catalog_rows(database) == before


async def test_own_models_store_their_provider_and_settings(
    client: httpx.AsyncClient, database: Database
) -> None:
    async with database.transaction(write=False) as session:
        row = (
            await session.execute(
                text(
                    "SELECT provider_code, provider_settings, timeout_s, is_public, is_official "
                    "FROM models WHERE owner = 'acme' AND slug = 'stubborn'"
                )
            )
        ).one()
    assert row.provider_code == "python"
    settings = row.provider_settings
    if isinstance(settings, str):  # SQLite hands JSON back as text through raw SQL
        settings = json.loads(settings)
    assert settings == {
        "root": str(MODELS.parent.resolve()),
        "entry": "looping:ignoring_cancel",
        "setup": None,
        "process": False,
    }
    assert (row.timeout_s, bool(row.is_public), bool(row.is_official)) == (1.0, False, False)


# An engine runs (and registers as a worker serving every model): the model shows `available`.
@pytest.mark.engine(worker_concurrency=1)
async def test_a_removed_model_becomes_unavailable_keeps_its_runs_and_takes_no_new_ones(
    client: httpx.AsyncClient, database: Database, make_key: MakeKey
) -> None:
    acme = {"Authorization": f"Bearer {await make_key(org='acme')}"}
    created = await client.post(
        "/v1/models/acme/shout/batches", json={"input": [{"text": "hi"}]}, headers=acme
    )
    assert created.status_code == 201, created.text

    await register(database, [spec for spec in own_models() if spec.slug != "shout"])

    model = (await client.get("/v1/models/acme/shout", headers=acme)).json()
    assert model["availability_status"] == "unavailable"
    batch = await client.get(f"/v1/batches/{created.json()['id']}", headers=acme)
    assert batch.status_code == 200
    refused = await client.post(
        "/v1/models/acme/shout/batches", json={"input": [{"text": "again"}]}, headers=acme
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "MODEL_UNAVAILABLE"
    assert "acme/shout is unavailable" in refused.json()["message"]
    run = await client.post(
        "/v1/models/acme/shout/runs", json={"input": {"text": "x"}}, headers=acme
    )
    assert run.status_code == 409

    await register(database, own_models())
    model = (await client.get("/v1/models/acme/shout", headers=acme)).json()
    assert model["availability_status"] == "available"


async def test_a_private_model_is_visible_to_its_org_only(
    client: httpx.AsyncClient, make_key: MakeKey
) -> None:
    acme = {"Authorization": f"Bearer {await make_key(org='acme')}"}
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    assert (await client.get("/v1/models/acme/vignette", headers=acme)).status_code == 200
    assert (await client.get("/v1/models/acme/vignette", headers=other)).status_code == 404
    listed = (await client.get("/v1/models", headers=other)).json()
    assert "acme" not in {model["owner"] for model in listed["items"]}
    refused = await client.post(
        "/v1/models/acme/shout/batches", json={"input": [{"text": "hi"}]}, headers=other
    )
    assert refused.status_code == 404


async def test_is_public_makes_a_model_visible_to_every_org(
    client: httpx.AsyncClient, database: Database, make_key: MakeKey, tmp_path: Path
) -> None:
    public = tmp_path / "models.toml"
    public.write_text(VIGNETTE.read_text().replace("is_public = false", "is_public = true"))
    (tmp_path / "vignette.py").write_text((VIGNETTE.parent / "vignette.py").read_text())
    await register(database, own_models(MODELS, public))
    other = {"Authorization": f"Bearer {await make_key(org='globex', email='x@globex.test')}"}
    model = await client.get("/v1/models/acme/vignette", headers=other)
    assert model.status_code == 200
    assert model.json()["is_public"] is True

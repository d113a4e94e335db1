"""Estimates of own models: a model without pricing costs nothing and the estimate says so;
a figure the input cannot give and no rule bounds makes the estimate a lower bound."""

from __future__ import annotations

import httpx


async def test_a_model_without_pricing_is_estimated_at_zero_and_says_so(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/models/acme/counted/batches/estimate", json={"input": [{}, {}]}, headers=auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["cost"], [item["cost"] for item in body["items"]]) == ("0", ["0", "0"])
    assert "no pricing" in body["note"]


async def test_an_image_given_by_url_is_estimated_at_the_rules_maximum(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    given = {"image": "https://93.184.215.14/photo.png"}  # public, and never fetched
    response = await client.post(
        "/v1/models/acme/vignette/runs/estimate", json={"input": given}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert (response.json()["cost"], response.json()["note"]) == ("0.05", None)  # 50 MP

"""`GET /v1/media`: newest first, by folder, `q`/`sort_by`/`fields`, keyset pages; `PATCH` moves."""

from __future__ import annotations

from typing import Any

import httpx

from tests.media.helpers import download, mp4, png, uploaded


async def _ids(client: httpx.AsyncClient, auth: dict[str, str], query: str = "") -> list[str]:
    body = (await client.get(f"/v1/media{query}", headers=auth)).json()
    return [item["id"] for item in body["items"]]


async def test_listing_by_folder_shows_only_that_folder_newest_first(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    spring = [
        (await uploaded(client, auth, png(8 + i, 8), folder="spring"))["id"] for i in range(3)
    ]
    summer = [
        (await uploaded(client, auth, png(8, 8 + i), folder="summer"))["id"] for i in range(2)
    ]
    loose = (await uploaded(client, auth, png(9, 9)))["id"]

    assert await _ids(client, auth, "?folder=spring") == spring[::-1]
    assert await _ids(client, auth, "?folder=summer") == summer[::-1]
    assert await _ids(client, auth) == [loose, *summer[::-1], *spring[::-1]]
    assert await _ids(client, auth, "?folder=autumn") == []


async def test_pages_walk_forward_and_back(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    made = [(await uploaded(client, auth, png(8 + i, 8), folder="f"))["id"] for i in range(5)]
    newest_first = made[::-1]

    first: dict[str, Any] = (await client.get("/v1/media?folder=f&limit=2", headers=auth)).json()
    assert [item["id"] for item in first["items"]] == newest_first[:2]
    assert first["previous"] is None
    second = (
        await client.get(f"/v1/media?folder=f&limit=2&pq={first['next']}", headers=auth)
    ).json()
    assert [item["id"] for item in second["items"]] == newest_first[2:4]
    third = (
        await client.get(f"/v1/media?folder=f&limit=2&pq={second['next']}", headers=auth)
    ).json()
    assert [item["id"] for item in third["items"]] == newest_first[4:]
    assert third["next"] is None
    back = (
        await client.get(
            f"/v1/media?folder=f&limit=2&pq={third['previous']}&from_prev=true", headers=auth
        )
    ).json()
    assert [item["id"] for item in back["items"]] == newest_first[2:4]
    restart = (
        await client.get(f"/v1/media?folder=f&limit=2&pq={back['first']}", headers=auth)
    ).json()
    assert [item["id"] for item in restart["items"]] == newest_first[:2]


async def test_a_cursor_from_another_folder_or_a_forged_one_is_400(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for i in range(2):
        await uploaded(client, auth, png(8 + i, 8), folder="a")
    page = (await client.get("/v1/media?folder=a&limit=1", headers=auth)).json()

    elsewhere = await client.get(f"/v1/media?folder=b&pq={page['next']}", headers=auth)
    forged = await client.get(f"/v1/media?folder=a&pq={page['next']}x", headers=auth)

    for response in (elsewhere, forged):
        assert response.status_code == 400
        assert response.json()["code"] == "BAD_REQUEST"


async def test_moving_media_between_folders(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    media = await uploaded(client, auth, png(), folder="inbox")

    moved = await client.patch(
        f"/v1/media/{media['id']}", json={"folder": "archive/2026"}, headers=auth
    )
    assert moved.status_code == 200
    assert moved.json()["folder"] == "archive/2026"
    assert await _ids(client, auth, "?folder=inbox") == []
    assert await _ids(client, auth, "?folder=archive/2026") == [media["id"]]

    bad = await client.patch(f"/v1/media/{media['id']}", json={"folder": "../x"}, headers=auth)
    assert bad.status_code == 422
    out = await client.patch(f"/v1/media/{media['id']}", json={"folder": None}, headers=auth)
    assert out.json()["folder"] is None


async def test_media_filter_sort_and_project_through_the_query_kit(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    small = (await uploaded(client, auth, png(8, 8), folder="f"))["id"]
    large = (await uploaded(client, auth, png(40, 30), folder="f"))["id"]
    video = (await uploaded(client, auth, mp4(), folder="g"))["id"]

    images = await _ids(client, auth, '?q=content_type = "image/*"&sort_by=width:asc')
    wide = await _ids(client, auth, "?q=width > 10 AND folder = f")
    no_folder_g = await _ids(client, auth, "?q=NOT folder = g&sort_by=size_bytes:desc")
    projected = (await client.get("/v1/media?fields=url", headers=auth)).json()["items"]
    bad = await client.get("/v1/media?q=colour = red", headers=auth)

    assert images == [small, large]
    assert wide == [large]
    assert no_folder_g == [large, small]
    assert [set(item) for item in projected] == [{"id", "url"}] * 3
    assert [item["id"] for item in projected] == [video, large, small]
    assert [(await download(client, item["url"])).status_code for item in projected] == [200] * 3
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["loc"] == ["query", "q"]

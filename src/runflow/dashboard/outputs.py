"""Finding the pictures and videos in a run's output, to show them as such."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShownMedia:
    name: str
    url: str
    kind: str  # image or video


def output_kinds(model: dict[str, Any] | None) -> dict[str, str]:
    """Output name → `image` / `video`, from the model's output declarations."""
    return {
        spec["name"]: spec["variable_type_code"]
        for spec in (model or {}).get("outputs") or []
        if spec.get("variable_type_code") in {"image", "video"}
    }


def media_in(output: dict[str, Any] | None, kinds: dict[str, str]) -> list[ShownMedia]:
    shown: list[ShownMedia] = []
    for name, value in (output or {}).items():
        urls = value if isinstance(value, list) else [value]
        kind = kinds.get(name) or ("video" if "video" in name else "image")
        shown.extend(
            ShownMedia(name, url, kind)
            for url in urls
            if isinstance(url, str) and url.startswith(("http://", "https://"))
        )
    return shown


# A media object's signed URL, as a run's output holds it: signed when the run ended.
_MEDIA_URL = re.compile(r"/v1/media/([0-9a-fA-F-]{36})/content\?")
_IN_LIMIT = 100  # values an `IN` of the query language takes


async def with_fresh_urls(api: Any, shown: Sequence[ShownMedia]) -> list[ShownMedia]:
    """`shown` with each of the org's media signed anew: an output keeps the URL signed when
    its run ended, which expires (`RUNFLOW_MEDIA_URL_TTL_S`), and a page of older runs would
    show broken pictures. One media list request per hundred; any other URL as it was."""
    ids = {found.group(1) for item in shown if (found := _MEDIA_URL.search(item.url))}
    fresh: dict[str, str] = {}
    listed = sorted(ids)
    for start in range(0, len(listed), _IN_LIMIT):
        chunk = listed[start : start + _IN_LIMIT]
        q = "id IN (" + ", ".join(f'"{uuid.UUID(media_id)}"' for media_id in chunk) + ")"
        page = await api.get("/v1/media", q=q, fields="id,url", limit=_IN_LIMIT)
        fresh |= {media["id"]: media["url"] for media in page["items"]}
    renewed = []
    for item in shown:
        found = _MEDIA_URL.search(item.url)
        url = fresh.get(str(uuid.UUID(found.group(1)))) if found else None
        renewed.append(dataclasses.replace(item, url=url) if url else item)
    return renewed


async def models_by_id(api: Any) -> dict[str, dict[str, Any]]:
    catalog = await api.get("/v1/models")
    return {model["id"]: model for model in catalog["items"]}

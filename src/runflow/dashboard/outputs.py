"""Finding the pictures and videos in a run's output, to show them as such."""

from __future__ import annotations

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


async def models_by_id(api: Any) -> dict[str, dict[str, Any]]:
    catalog = await api.get("/v1/models")
    return {model["id"]: model for model in catalog["items"]}

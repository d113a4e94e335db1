"""A Python model's returned dict, split into JSON output and files to store as media.

Media values — `PIL.Image.Image` (encoded as PNG), `bytes` of an image or video, a
`pathlib.Path` to such a file, or a list of them — become `Artifact`s, sniffed like uploads
(so a model cannot store what an upload could not). JSON values (str, int, float, bool,
None, and lists and dicts of them) stay in the output as they are.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from runflow.media.sniff import MediaRefused, sniff
from runflow.models_builtin.flow import Artifact

_ACCEPTED = "JSON values, PIL images, bytes of an image or video, or a pathlib.Path to one"


class UnsupportedOutput(ValueError):
    """A returned value the service cannot keep."""


def has_media(result: dict[Any, Any]) -> bool:
    """Whether any value is media (to encode or sniff, off the event loop)."""
    return any(
        _is_media(value) or (isinstance(value, list) and any(_is_media(item) for item in value))
        for value in result.values()
    )


def artifacts_of(
    result: dict[Any, Any], scratch: Callable[[], Path]
) -> tuple[dict[str, Any], dict[str, Artifact | list[Artifact]]]:
    """The JSON output and the files; `scratch()` makes the run's folder for bytes values."""
    output: dict[str, Any] = {}
    files: dict[str, Artifact | list[Artifact]] = {}
    for key, value in result.items():
        if not isinstance(key, str):
            raise UnsupportedOutput(f"Output keys must be strings, not {type(key).__name__}.")
        if _is_media(value):
            files[key] = _artifact(key, value, scratch)
        elif isinstance(value, list) and value and all(_is_media(item) for item in value):
            files[key] = [_artifact(f"{key}[{i}]", item, scratch) for i, item in enumerate(value)]
        else:
            _check_json(key, value)
            output[key] = value
    return output, files


def _is_media(value: object) -> bool:
    return isinstance(value, Image.Image | bytes | bytearray | Path)


def _artifact(
    name: str, value: Image.Image | bytes | bytearray | Path, scratch: Callable[[], Path]
) -> Artifact:
    if isinstance(value, Image.Image):
        encoded = io.BytesIO()
        value.save(encoded, format="PNG")
        return Artifact("image/png", encoded.getvalue(), value.width, value.height)
    if isinstance(value, Path):
        if not value.is_file():
            raise UnsupportedOutput(f"Output `{name}`: {value} is not a file.")
        return _sniffed(name, value, value.read_bytes())
    folder = scratch()
    path = folder / f"output-{len(list(folder.iterdir()))}"
    path.write_bytes(value)
    return _sniffed(name, path, bytes(value))


def _sniffed(name: str, path: Path, data: bytes) -> Artifact:
    try:
        info = sniff(path)
    except MediaRefused as refused:
        raise UnsupportedOutput(f"Output `{name}` is not an image or video: {refused}") from None
    return Artifact(info.content_type, data, info.width, info.height, info.duration_ms)


def _check_json(name: str, value: object) -> None:
    if value is None or isinstance(value, str | int | float | bool):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(f"{name}[{index}]", item)
        return
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        for key, item in value.items():
            _check_json(f"{name}.{key}", item)
        return
    raise UnsupportedOutput(f"Output `{name}` is a {type(value).__name__}; return {_ACCEPTED}.")


class Scratch:
    """A run's temporary folder, made on first use (most runs never need one) and removed
    with everything in it when the run ends."""

    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def path(self) -> Path:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="runflow-run-")
        return Path(self._folder.name)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *_: object) -> None:
        if self._folder is not None:
            self._folder.cleanup()

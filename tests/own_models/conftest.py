"""The service of these tests starts with the test models file and the example's."""

from __future__ import annotations

from pathlib import Path

import pytest

from runflow.config import Settings

MODELS = Path(__file__).parent / "models" / "models.toml"
VIGNETTE = Path(__file__).parents[2] / "examples" / "vignette" / "models.toml"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"models": (MODELS, VIGNETTE)})

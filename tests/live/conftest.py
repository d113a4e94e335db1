"""The streams' tests run the test models too (one reports progress until cancelled)."""

from __future__ import annotations

import pytest

from runflow.config import Settings
from tests.own_models.conftest import MODELS


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"models": (MODELS,)})

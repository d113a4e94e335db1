"""Every flow matches its catalog declaration, so the engine can feed it validated inputs."""

from __future__ import annotations

import re

import pytest

import runflow.models_builtin as models_builtin
from runflow.catalog.builtin import BUILTIN_MODELS
from runflow.models_builtin import builtin_flows

SPECS = {spec.slug: spec for spec in BUILTIN_MODELS}


def test_every_builtin_model_but_echo_has_a_flow() -> None:
    assert set(builtin_flows()) == set(SPECS) - {"echo"}


@pytest.mark.parametrize("slug", sorted(builtin_flows()))
def test_flow_reads_only_declared_inputs(slug: str) -> None:
    declared = {spec_input.name for spec_input in SPECS[slug].inputs}

    literals = {name for node in builtin_flows()[slug].nodes for name in node.literals}

    assert literals <= declared


@pytest.mark.parametrize("slug", sorted(builtin_flows()))
def test_nodes_are_ordered_uniquely_keyed_and_versioned(slug: str) -> None:
    seen: set[str] = set()
    for node in builtin_flows()[slug].nodes:
        assert node.key not in seen
        assert set(node.upstream) <= seen
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+\.v\d+", node.type)
        seen.add(node.key)


def test_public_names_are_exported() -> None:
    for name in models_builtin.__all__:
        assert hasattr(models_builtin, name)

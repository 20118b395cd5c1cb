"""Every crisis rule family catches its own examples and leaves its own near-misses alone."""

from __future__ import annotations

import pytest

from assistant.safety.rules import canonical, families

FAMILIES = families()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_catches_its_examples(family):
    missed = [text for text in family.examples if not family.matches(canonical(text))]
    assert missed == []


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_leaves_its_near_misses_alone(family):
    caught = [text for text in family.near_misses if family.matches(canonical(text))]
    assert caught == []


def test_every_family_has_examples_and_near_misses():
    assert all(len(f.examples) >= 3 and len(f.near_misses) >= 2 for f in FAMILIES)

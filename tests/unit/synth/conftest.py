"""Shared synthetic worlds: generated once per test session, kept small."""

import pytest

import synth
from synth import World


@pytest.fixture(scope="session")
def world() -> World:
    """5,000 persons: big enough for every injected kind to occur."""
    return synth.generate_world(5_000, seed=7)


@pytest.fixture(scope="session")
def big_world() -> World:
    """20,000 persons: for shares that need a larger sample (still < 1 s)."""
    return synth.generate_world(20_000, seed=11)

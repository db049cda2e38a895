"""The engine each store test runs on (tests/store/engines.py)."""

from __future__ import annotations

import pytest

from tests.store.engines import ENGINE_KINDS


@pytest.fixture(params=ENGINE_KINDS)
def engine_kind(request: pytest.FixtureRequest) -> str:
    """Each engine the store runs on here, one test run each."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="module", params=ENGINE_KINDS)
def module_engine_kind(request: pytest.FixtureRequest) -> str:
    """The same, for a module's shared store: one engine's tests end before the next's."""
    kind: str = request.param
    return kind

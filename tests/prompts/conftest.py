"""The S3-compatible object store the S3 body-store tests share (moto, per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.prompts.object_store import ObjectStore


@pytest.fixture(scope="module")
def store() -> Iterator[ObjectStore]:
    with ObjectStore() as started:
        yield started


@pytest.fixture(scope="module")
def bucket(store: ObjectStore) -> str:
    """A bucket of the module's own."""
    return store.new_bucket()

"""Query parameters reach the store as the exact values given, whatever characters they hold."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.store.engines import Engine, open_engine

# ClickHouse String values are bytes; the API hands it text. Surrogates cannot be encoded.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, module_engine_kind: str
) -> Iterator[tuple[Engine, asyncio.AbstractEventLoop]]:
    loop = asyncio.new_event_loop()
    path = Path(tmp_path_factory.mktemp("chdb-params"))
    store = loop.run_until_complete(open_engine(module_engine_kind, path))
    yield store, loop
    loop.run_until_complete(store.close())
    loop.close()


@pytest.mark.parametrize(
    "value", ["a\\b", "tab\there", "new\nline", "\\N", "end\\", "q'uote", "\\'; DROP TABLE x"]
)
def test_tricky_strings_round_trip(engine: tuple[Engine, asyncio.AbstractEventLoop], value: str):
    store, loop = engine
    rows = loop.run_until_complete(
        store.select(
            "SELECT {s:String} AS s, {a:Array(String)} AS a, {m:Map(String, String)} AS m",
            {"s": value, "a": [value, "x"], "m": {value: value}},
        )
    )
    assert rows == [{"s": value, "a": [value, "x"], "m": {value: value}}]


@given(value=text)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_round_trips(engine: tuple[Engine, asyncio.AbstractEventLoop], value: str):
    store, loop = engine
    rows = loop.run_until_complete(
        store.select("SELECT {s:String} AS s, {a:Array(String)} AS a", {"s": value, "a": [value]})
    )
    assert rows == [{"s": value, "a": [value]}]

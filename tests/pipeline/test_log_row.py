"""A built row is a value: its line, ids and cost, read back the same from the spool."""

from __future__ import annotations

import copy
import dataclasses
import time
import uuid
from typing import Any, cast

import orjson
import pytest

from heliograph.costs.catalog import ModelPrice, PriceCatalog
from heliograph.pipeline.calls import CallLog
from heliograph.pipeline.rows import LoggedCall, RowBuilder
from heliograph.pipeline.writer import LogPipeline
from heliograph.providers.registry import OPENAI_FORMAT
from heliograph.store.log_row import NEW_ID_FIELD, LogRow
from heliograph.usage import Usage

CATALOG = PriceCatalog.load_default()
USAGE = {"prompt_tokens": 1_000, "completion_tokens": 500}


def finished_call(**fields: Any) -> LoggedCall:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    values: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "organization_id": str(uuid.uuid4()),
        "provider": "OPENAI",
        "target_url": "https://api.openai.com/v1/chat/completions",
        "wire": OPENAI_FORMAT,
        "started_at": time.time() - 0.5,
        "ended_at": time.time(),
        "request_body": orjson.dumps(request),
        "request_json": request,
        "status": 200,
        "response_body": orjson.dumps({"model": "gpt-4o-mini", "usage": USAGE}),
        "properties": {"Env": "prod"},
        **fields,
    }
    return LoggedCall(**values)


def state(call: LoggedCall) -> dict[str, Any]:
    """A deep copy of the call's fields (its wire format, a shared singleton, as it is)."""
    return {
        f.name: getattr(call, f.name) if f.name == "wire" else copy.deepcopy(getattr(call, f.name))
        for f in dataclasses.fields(call)
    }


def test_build_returns_the_cost_and_leaves_the_call_as_it_was():
    call = finished_call()
    before = state(call)
    row = RowBuilder(CATALOG).build(call)
    assert state(call) == before
    priced = CATALOG.cost_nano_usd("OPENAI", "gpt-4o-mini", Usage(1_000, 500))
    assert priced is not None and priced > 0
    stored = orjson.loads(row.line)
    assert row.cost_nano == stored["cost"] == priced
    assert (row.request_id, row.organization_id) == (call.request_id, call.organization_id)
    assert row.line.endswith(b"\n") and row.line.count(b"\n") == 1
    assert list(stored)[:3] == ["request_id", "organization_id", NEW_ID_FIELD]


def test_a_cache_hit_costs_nothing_and_a_reported_cost_is_kept():
    rows = RowBuilder(CATALOG)
    hit = rows.build(finished_call(cache_reference_id=str(uuid.uuid4())))
    assert hit.cost_nano == 0 and orjson.loads(hit.line)["cache_saved_cost"] > 0
    reported = rows.build(finished_call(given_cost_nano=1_234))
    assert reported.cost_nano == orjson.loads(reported.line)["cost"] == 1_234


def test_the_price_of_the_endpoint_that_ran_prices_the_call_over_the_catalog():
    """The unified gateway hands over a registry price (gateway/routing.py's Target.price)."""
    price = ModelPrice("OPENROUTER", "equals", "openai/gpt-4o-mini", 0.00000016, 0.00000063)
    row = RowBuilder(CATALOG).build(finished_call(price=price))
    assert row.cost_nano == 1_000 * 160 + 500 * 630
    assert row.cost_nano != RowBuilder(CATALOG).build(finished_call()).cost_nano


@pytest.mark.parametrize("id_is_new", [True, False])
def test_a_row_read_back_from_its_line_is_the_row_built(id_is_new: bool):
    call = finished_call(request_id=str(uuid.uuid4()).upper(), id_is_new=id_is_new)
    built = RowBuilder(CATALOG).build(call)
    read_back = LogRow.from_line(built.line)
    assert read_back == built
    assert read_back.id_is_new is id_is_new and read_back.cost_nano > 0
    assert read_back.key == (call.organization_id.lower(), call.request_id.lower())


@pytest.mark.parametrize(
    "line",
    [
        b'{"status":200}\n',
        b'{"request_id":"8c5b6a4e-3f4b-4f5e-9d7c-1a2b3c4d5e6f","status":200}\n',
        b'{"request_id":7,"organization_id":null}\n',
        b"[1,2]\n",
        b"not json\n",
    ],
)
def test_a_line_without_both_ids_is_kept_without_a_key(line: bytes):
    # The replay still hands it to the store, which takes it or refuses it (set aside).
    row = LogRow.from_line(line)
    assert row.line == line
    assert row.key is None and not row.id_is_new and row.cost_nano == 0


class RecordingPipeline:
    def __init__(self) -> None:
        self.rows: list[LogRow] = []

    def submit(self, row: LogRow) -> None:
        self.rows.append(row)


def test_recording_a_call_submits_its_row_and_returns_it():
    pipeline = RecordingPipeline()
    calls = CallLog(cast(LogPipeline, pipeline), RowBuilder(CATALOG))
    row = calls.record(finished_call())
    assert row is not None and pipeline.rows == [row] and row.cost_nano > 0


def test_a_row_that_cannot_be_built_is_logged_never_raised(caplog: pytest.LogCaptureFixture):
    pipeline = RecordingPipeline()
    calls = CallLog(cast(LogPipeline, pipeline), RowBuilder(CATALOG))
    broken = finished_call(properties={"n": 2**70})  # past what orjson encodes
    assert calls.record(broken) is None
    assert pipeline.rows == []
    assert "could not log request" in caplog.text

"""Random filter trees (hypothesis): chDB's answer equals a pure-Python evaluator's.

Rows of two organizations are written straight into an embedded chDB store; every
generated filter runs through the real compiler and `query_requests`, scoped to one org.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.store.requests import query_requests
from heliograph.store.schema import apply_migrations
from tests.store.engines import Engine, open_engine

ORGS = [str(uuid.uuid4()), str(uuid.uuid4())]
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "GPT-4-Turbo"]
USERS = ["alice", "bob", "Carol", ""]
PROP_VALUES = {
    "Environment": ["production", "staging", "Prod"],
    "App": ["web", "mobile"],
    "Tier": ["free"],
}
BASE_TIME = datetime(2025, 3, 1, tzinfo=UTC)


def make_rows() -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for n in range(80):
        properties = {
            key: rng.choice(values) for key, values in PROP_VALUES.items() if rng.random() < 0.6
        }
        if "Environment" in properties and rng.random() < 0.3:  # stored lower-case, as SDKs send
            properties["environment"] = properties.pop("Environment")
        scores = {"accuracy": rng.randint(0, 100)} if rng.random() < 0.4 else {}
        rows.append(
            {
                "request_id": str(uuid.uuid4()),
                "organization_id": ORGS[n % 2],
                "request_created_at": (BASE_TIME + timedelta(hours=n * 7)).strftime(
                    "%Y-%m-%d %H:%M:%S.000"
                ),
                "status": rng.choice([200, 200, 429, 500]),
                "latency": rng.choice([None, 120, 450, 2000]),
                "model": rng.choice(MODELS),
                "provider": rng.choice(["OPENAI", "ANTHROPIC"]),
                "user_id": rng.choice(USERS),
                "prompt_tokens": rng.randint(0, 500),
                "completion_tokens": rng.randint(0, 500),
                "cost": rng.randint(0, 5) * 1_000_000,
                "properties": properties,
                "scores": scores,
            }
        )
    return rows


ROWS = make_rows()


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, module_engine_kind: str
) -> Iterator[tuple[Engine, asyncio.AbstractEventLoop]]:
    loop = asyncio.new_event_loop()
    path = Path(tmp_path_factory.mktemp("filters")) / "ch"
    engine = loop.run_until_complete(open_engine(module_engine_kind, path))
    loop.run_until_complete(apply_migrations(engine))
    lines = [orjson.dumps(row) + b"\n" for row in ROWS]
    loop.run_until_complete(engine.insert_json_lines("request_response_rmt", lines))
    yield engine, loop
    loop.run_until_complete(engine.close())
    loop.close()


# --- the reference evaluator -------------------------------------------------------------


def prop_value(row: dict[str, Any], key: str) -> str:
    props = row["properties"]
    if key in props:
        return str(props[key])
    for name, value in props.items():
        if name.lower() == key.lower():
            return str(value)
    return ""


def compare(actual: Any, op: str, wanted: Any) -> bool:
    if actual is None:
        return False
    return {
        "equals": actual == wanted,
        "not-equals": actual != wanted,
        "gt": actual > wanted,
        "gte": actual >= wanted,
        "lt": actual < wanted,
        "lte": actual <= wanted,
        "contains": isinstance(actual, str) and wanted.lower() in actual.lower(),
        "not-contains": isinstance(actual, str) and wanted.lower() not in actual.lower(),
    }[op]


def column(row: dict[str, Any], field: str) -> Any:
    if field == "total_tokens":
        return row["prompt_tokens"] + row["completion_tokens"]
    if field == "request_created_at":
        return datetime.strptime(row[field], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    return row[field]


def evaluate(node: Any, row: dict[str, Any]) -> bool:
    if node == "all":
        return True
    if "operator" in node:
        left, right = evaluate(node["left"], row), evaluate(node["right"], row)
        return left and right if node["operator"] == "and" else left or right
    ((field, ops),) = node["request_response_rmt"].items()
    if field == "properties":
        ((key, inner),) = ops.items()
        ((op, value),) = inner.items()
        return compare(prop_value(row, key), op, value)
    if field == "scores":
        ((key, inner),) = ops.items()
        ((op, value),) = inner.items()
        return key in row["scores"] and compare(row["scores"][key], op, value)
    ((op, value),) = ops.items()
    if field == "cost":
        return compare(row["cost"], op, int(value * 1_000_000_000))
    if field == "request_created_at":
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return compare(column(row, field), op, value)


# --- the generator ---------------------------------------------------------------------------

TEXT_OPS = ["equals", "not-equals", "contains", "not-contains"]
NUMBER_OPS = ["equals", "not-equals", "gt", "gte", "lt", "lte"]


def leaf(field: str, ops: Any) -> dict[str, Any]:
    return {"request_response_rmt": {field: ops}}


text_leaf = st.builds(
    lambda field, op, value: leaf(field, {op: value}),
    st.sampled_from(["model", "user_id", "provider"]),
    st.sampled_from(TEXT_OPS),
    st.sampled_from([*MODELS, *USERS, "gpt", "OPEN", "x' OR '1'='1"]),
)
number_leaf = st.builds(
    lambda field, op, value: leaf(field, {op: value}),
    st.sampled_from(["status", "latency", "total_tokens", "prompt_tokens"]),
    st.sampled_from(NUMBER_OPS),
    st.sampled_from([0, 120, 200, 250, 429, 450, 500, 2000]),
)
cost_leaf = st.builds(
    lambda op, value: leaf("cost", {op: value}),
    st.sampled_from(NUMBER_OPS),
    st.sampled_from([0, 0.002, 0.0035]),
)
time_leaf = st.builds(
    lambda op, hours: leaf(
        "request_created_at",
        {op: (BASE_TIME + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    ),
    st.sampled_from(["gt", "gte", "lt", "lte", "equals"]),
    st.sampled_from([0, 7, 100, 280, 553, 1000]),
)
property_leaf = st.builds(
    lambda key, op, value: leaf("properties", {key: {op: value}}),
    st.sampled_from(["Environment", "environment", "ENVIRONMENT", "App", "Tier", "Missing"]),
    st.sampled_from(TEXT_OPS),
    st.sampled_from(["production", "prod", "web", "mobile", "free", "", "Prod"]),
)
score_leaf = st.builds(
    lambda op, value: leaf("scores", {"accuracy": {op: value}}),
    st.sampled_from(NUMBER_OPS),
    st.integers(0, 100),
)
leaves = st.one_of(
    text_leaf, number_leaf, cost_leaf, time_leaf, property_leaf, score_leaf, st.just("all")
)
trees = st.recursive(
    leaves,
    lambda children: st.builds(
        lambda left, operator, right: {"left": left, "operator": operator, "right": right},
        children,
        st.sampled_from(["and", "or"]),
        children,
    ),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=trees, org=st.sampled_from(ORGS))
def test_random_filters_match_the_reference(store: tuple[Engine, Any], tree: Any, org: str):
    engine, loop = store
    rows = loop.run_until_complete(
        query_requests(engine, org, tree, limit=1000, include_bodies=False)
    )
    got = {row["request_id"] for row in rows}
    expected = {
        row["request_id"] for row in ROWS if row["organization_id"] == org and evaluate(tree, row)
    }
    assert got == expected, f"filter {tree}"

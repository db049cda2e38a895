"""Random filter trees (hypothesis), well-formed or not: the compiler answers SQL or a
FilterError (a 400 in the REST envelope), never another exception (a 500).
test_filter_properties.py checks what well-formed trees select."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.store.filters import FilterError, compile_filter, compile_grouped_filter
from heliograph.store.params import Params

TABLES = ["request_response_rmt", "properties", "values", "users_view", "sessions", "nope", ""]
FIELDS = ["status", "model", "cost", "latency", "request_id", "request_created_at", "threat",
          "request_body", "properties", "Environment", "user_cost", "nope", ""]  # fmt: skip
OPERATORS = ["equals", "not-equals", "like", "ilike", "contains", "not-contains", "gte",
             "lte", "lt", "gt", "in", ""]  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["2025-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000", "all"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
LEAVES = st.dictionaries(
    st.sampled_from(TABLES),
    st.one_of(
        VALUES,
        st.dictionaries(
            st.sampled_from(FIELDS),
            st.one_of(VALUES, st.dictionaries(st.sampled_from(OPERATORS), VALUES, max_size=2)),
            max_size=2,
        ),
    ),
    max_size=2,
)


def _branches(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    branch = st.fixed_dictionaries(
        {"left": children, "right": children, "operator": st.sampled_from(["and", "or", "xor"])}
    )
    return st.one_of(branch, st.lists(children, max_size=3))


TREES = st.recursive(st.one_of(LEAVES, VALUES), _branches, max_leaves=30)
GROUP_FIELDS = {"users_view": {"user_cost": "sum(cost)"}}


@given(tree=TREES)
@settings(max_examples=400, deadline=None)
def test_random_filter_trees_compile_or_raise_filter_error(tree: Any):
    try:
        compile_filter(tree, Params())
    except FilterError:
        pass


@given(tree=TREES)
@settings(max_examples=200, deadline=None)
def test_random_grouped_filter_trees_compile_or_raise_filter_error(tree: Any):
    try:
        compile_grouped_filter(tree, Params(), GROUP_FIELDS)  # type: ignore[arg-type]
    except FilterError:
        pass


def test_a_long_chain_of_conditions_compiles_or_raises_filter_error():
    tree: Any = {"request_response_rmt": {"status": {"equals": 0}}}
    for i in range(1, 1_500):
        leaf = {"request_response_rmt": {"status": {"equals": i}}}
        tree = {"left": tree, "operator": "or", "right": leaf}
    try:
        compile_filter(tree, Params())
    except FilterError:
        pass


@pytest.mark.parametrize("op", ["like", "ilike"])
@pytest.mark.parametrize("table", ["request_response_rmt", "properties"])
def test_a_like_pattern_ending_in_a_lone_backslash_is_a_filter_error(op: str, table: str):
    """ClickHouse fails the query on such a pattern (the OpenAPI check found it a 500)."""

    def leaf(pattern: str) -> dict[str, Any]:
        field = "model" if table == "request_response_rmt" else "Environment"
        return {table: {field: {op: pattern}}}

    for pattern in ("a\\", "\\", "a\\\\\\"):
        with pytest.raises(FilterError, match="lone backslash"):
            compile_filter(leaf(pattern), Params())
    for pattern in ("a\\\\", "a\\%", "\\_b"):  # escaped: ClickHouse takes these
        compile_filter(leaf(pattern), Params())

"""The HQL checker on its own (no engine), bounded: whatever text comes in, it answers a
confined query or an HqlError, in time linear in the text (test_adversarial.py runs
hostile queries through the engine; this one is about the checker's own failure modes)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heliograph.hql.errors import HqlError
from heliograph.hql.sandbox import confine

DB = "heliograph"
UNBOUNDED = 10**7  # the length limit lifted, to time the check itself
TOKENS = st.sampled_from(
    [
        "SELECT", "FROM", "WHERE", "OR", "AND", "NOT", "(", ")", ",", "*", "=", "<", "+",
        "request_response_rmt", "cache_metrics", "status", "model", "1", "'x'", "\"q\"",
        "`b`", "count()", "sum(", "if(", "has(", "[", "]", "{", "}", "->", "x ->", "AS",
        "WITH", "UNION ALL", "JOIN", "ON", "GROUP BY", "ORDER BY", "LIMIT", "SETTINGS",
        "FORMAT", "INTO", ";", "--", "/*", "*/", "?", "{p:UUID}", "\\", "'", "\x00",
        "system.tables", "numbers(10)", "file('x')", "ARRAY JOIN", "FINAL", "PREWHERE",
        "arrayMap(", "CAST(", "::", "INTERVAL", "CASE", "WHEN", "THEN", "END", "ELSE",
    ]
)  # fmt: skip


def or_chain(conditions: int) -> str:
    ors = " OR ".join(f"status = {i}" for i in range(conditions))
    return f"SELECT count() FROM request_response_rmt WHERE {ors}"


def confined_or_refused(sql: str, max_chars: int = 20_000) -> None:
    try:
        confine(sql, 100, DB, max_chars)
    except HqlError:
        pass


@given(tokens=st.lists(TOKENS, min_size=1, max_size=40))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_token_soup_is_confined_or_refused(tokens: list[str]):
    confined_or_refused(" ".join(tokens))


@given(
    depth=st.integers(min_value=1, max_value=3000),
    opener=st.sampled_from(["(", "abs(", "tuple(", "[", "(SELECT ", "if(1, ", "NOT ("]),
)
@settings(max_examples=40, deadline=None)
def test_deep_nesting_is_confined_or_refused(depth: int, opener: str):
    closer = "]" if opener == "[" else ")"
    confined_or_refused("SELECT " + opener * depth + "1" + closer * depth, UNBOUNDED)


@given(conditions=st.integers(min_value=1, max_value=800), joiner=st.sampled_from(["OR", "AND"]))
@settings(max_examples=10, deadline=None)
def test_long_condition_chains_are_confined(conditions: int, joiner: str):
    parts = f" {joiner} ".join(f"has([1, 2], status + {i})" for i in range(conditions))
    confine(f"SELECT count() FROM request_response_rmt WHERE {parts}", 100, DB, UNBOUNDED)


def best_time(sql: str) -> float:
    """CPU seconds of the check (this thread's, so other processes on a busy machine, e.g.
    parallel test workers, do not count), the best of three."""
    times = []
    for _ in range(3):
        started = time.thread_time()
        confine(sql, 100, DB, UNBOUNDED)
        times.append(time.thread_time() - started)
    return min(times)


def test_the_check_is_linear_in_the_length_of_an_or_chain():
    confine(or_chain(10), 100, DB)  # warm: sqlglot builds its tables on first use
    short, long = best_time(or_chain(400)), best_time(or_chain(1_600))
    # Four times the conditions: linear is ~4x, quadratic (as it was) ~16x.
    assert long < 9 * short, (short, long)


@pytest.mark.parametrize("length", [20_001, 100_000])
def test_a_query_over_the_length_limit_is_refused_before_parsing(length: int):
    sql = or_chain(6_000)[:length]
    started = time.thread_time()
    with pytest.raises(HqlError) as refused:
        confine(sql, 100, DB, 20_000)
    assert refused.value.code == "HQL_QUERY_TOO_LARGE" and refused.value.status == 413
    assert time.thread_time() - started < 0.01

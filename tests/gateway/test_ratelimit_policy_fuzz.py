"""Fuzzing `Helicone-RateLimit-Policy` parsing: a policy or the documented 400, nothing else."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.errors import InvalidRequestError
from heliograph.gateway.ratelimit import RateLimitPolicy, parse_policy

# Header values are latin-1 text without control characters.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)
NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "1_000", "0x10", " 5 ", "", "9" * 5000]),
)
WINDOWS = st.one_of(st.integers(60, 10**9).map(str), NUMBERS)
PARTS = st.one_of(
    st.builds(lambda u: f"u={u}", st.sampled_from(["request", "cents", "", "tokens"])),
    st.builds(lambda s: f"s={s}", HEADER_TEXT),
    st.builds(lambda w: f"w={w}", WINDOWS),
    HEADER_TEXT,
)
# Mostly well-formed around the edges (odd numbers), so the fuzzer gets past the first check.
POLICIES = st.builds(
    lambda quota, window, parts: ";".join([quota, f"w={window}", *parts]),
    NUMBERS,
    WINDOWS,
    st.lists(PARTS, max_size=3),
)


def _parsed_or_refused(value: str) -> RateLimitPolicy | None:
    try:
        return parse_policy(value)
    except InvalidRequestError as exc:
        assert exc.status == 400 and "Use [quota]" in exc.message
        return None


@settings(max_examples=400, deadline=None)
@given(st.one_of(POLICIES, HEADER_TEXT))
def test_any_header_value_is_a_policy_or_a_400(value: str):
    policy = _parsed_or_refused(value)
    if policy is None:
        return
    assert math.isfinite(policy.quota) and policy.quota > 0
    assert policy.window_s >= 60 and policy.unit in ("request", "cents")
    assert parse_policy(policy.header()) == policy, "what a 429 names parses back the same"

"""Price catalog: hand-computed costs, lookup rules, and sanity checks on prices.json."""

from __future__ import annotations

import json
import re
import timeit
from collections import defaultdict
from importlib import resources
from typing import Any

import pytest

from heliograph.costs.catalog import (
    COST_PRECISION_MULTIPLIER,
    MATCH_KINDS,
    PriceCatalog,
)
from heliograph.usage import Usage


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return PriceCatalog.load_default()


def _raw() -> dict[str, Any]:
    text = resources.files("heliograph.costs").joinpath("prices.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# Hand-computed costs. Rates below are nano-USD per token (USD per 1M tokens x 1000).


def test_precision_multiplier_matches_helicone() -> None:
    assert COST_PRECISION_MULTIPLIER == 1_000_000_000


def test_gpt_4o_mini(catalog: PriceCatalog) -> None:
    # $0.15 / $0.60 per 1M tokens: 1000 * 150 + 500 * 600
    usage = Usage(prompt_tokens=1000, completion_tokens=500)
    assert catalog.cost_nano_usd("OPENAI", "gpt-4o-mini", usage) == 450_000


def test_gpt_4o_mini_cached_prompt(catalog: PriceCatalog) -> None:
    # 400 of the 1000 prompt tokens were cache reads at $0.075 / 1M.
    usage = Usage(prompt_tokens=1000, completion_tokens=500, cache_read_tokens=400)
    assert catalog.cost_nano_usd("OPENAI", "gpt-4o-mini", usage) == 600 * 150 + 400 * 75 + 500 * 600


def test_claude_3_5_sonnet_with_cache_read_and_write(catalog: PriceCatalog) -> None:
    # $3 in, $15 out, $3.75 cache write (5m), $0.30 cache read.
    usage = Usage(
        prompt_tokens=100 + 2000 + 1000,
        completion_tokens=200,
        cache_read_tokens=2000,
        cache_write_tokens=1000,
    )
    expected = 100 * 3000 + 2000 * 300 + 1000 * 3750 + 200 * 15_000
    assert expected == 7_650_000
    assert catalog.cost_nano_usd("ANTHROPIC", "claude-3-5-sonnet-20241022", usage) == expected


def test_gemini_2_5_flash(catalog: PriceCatalog) -> None:
    # $0.30 / $2.50; completion tokens already include the reasoning tokens.
    usage = Usage(prompt_tokens=1000, completion_tokens=100, reasoning_tokens=60)
    assert catalog.cost_nano_usd("GOOGLE", "gemini-2.5-flash", usage) == 1000 * 300 + 100 * 2500


def test_gemini_names_with_resource_prefix_and_lite_variant(catalog: PriceCatalog) -> None:
    flash = catalog.price_for("GOOGLE", "models/gemini-2.5-flash")
    lite = catalog.price_for("GOOGLE", "gemini-2.5-flash-lite-preview-06-17")
    assert flash is not None and flash.model == "gemini-2.5-flash"
    assert lite is not None and lite.model == "gemini-2.5-flash-lite"


def test_dated_openai_snapshot_matched_by_prefix(catalog: PriceCatalog) -> None:
    price = catalog.price_for("OPENAI", "gpt-4o-2024-08-06")
    assert price is not None
    assert (price.match, price.model) == ("startsWith", "gpt-4o")
    usage = Usage(prompt_tokens=1000, completion_tokens=1000)
    assert (
        catalog.cost_nano_usd("OPENAI", "gpt-4o-2024-08-06", usage) == 1000 * 2500 + 1000 * 10_000
    )


def test_exact_snapshot_row_wins_over_prefix(catalog: PriceCatalog) -> None:
    old = catalog.price_for("OPENAI", "gpt-4o-2024-05-13")
    mini = catalog.price_for("OPENAI", "gpt-4o-mini-2024-07-18")
    assert old is not None and (old.input, old.output) == (0.000005, 0.000015)
    assert mini is not None and mini.model == "gpt-4o-mini"


def test_openrouter_slug_matched_by_includes(catalog: PriceCatalog) -> None:
    price = catalog.price_for("OPENROUTER", "openai/gpt-4o")
    assert price is not None
    assert (price.provider, price.match, price.model) == ("OPENROUTER", "includes", "openai/gpt-4o")
    usage = Usage(prompt_tokens=10, completion_tokens=10)
    assert catalog.cost_nano_usd("OPENROUTER", "openai/gpt-4o", usage) == 10 * 2500 + 10 * 10_000


def test_unknown_provider_falls_back_to_every_row(catalog: PriceCatalog) -> None:
    price = catalog.price_for("LOCAL", "openai/gpt-4o-mini:free")
    assert price is not None and price.model == "openai/gpt-4o-mini"
    assert catalog.price_for("SOMEONE", "gpt-4.1-nano-2025-04-14") is not None


def test_inherited_rows(catalog: PriceCatalog) -> None:
    azure_own = catalog.price_for("AZURE", "gpt-35-turbo-0125")
    azure_openai = catalog.price_for("AZURE", "gpt-4o")
    bedrock = catalog.price_for("AWS", "us.anthropic.claude-3-5-sonnet-20241022-v2:0")
    assert azure_own is not None and azure_own.provider == "AZURE"
    assert azure_openai is not None and azure_openai.provider == "OPENAI"
    assert bedrock is not None and bedrock.provider == "BEDROCK"


def test_unknown_model_is_none(catalog: PriceCatalog) -> None:
    assert catalog.price_for("OPENAI", "definitely-not-a-model") is None
    assert catalog.cost_nano_usd("OPENAI", "definitely-not-a-model", Usage(1, 1)) is None


def test_case_insensitive(catalog: PriceCatalog) -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500)
    assert catalog.cost_nano_usd("openai", "GPT-4o-Mini", usage) == 450_000
    together = catalog.price_for("together", "META-LLAMA/LLAMA-3.3-70B-INSTRUCT-TURBO")
    assert together is not None and together.provider == "TOGETHER"


def test_provider_may_be_the_upstream_url(catalog: PriceCatalog) -> None:
    price = catalog.price_for("https://api.anthropic.com/v1/messages", "claude-3-haiku-20240307")
    assert price is not None and price.provider == "ANTHROPIC"


def test_audio_tokens_use_audio_rates(catalog: PriceCatalog) -> None:
    # gpt-4o-realtime: text $5 / $20, audio $40 / $80.
    usage = Usage(
        prompt_tokens=1000,
        prompt_audio_tokens=600,
        completion_tokens=500,
        completion_audio_tokens=300,
    )
    expected = 400 * 5000 + 600 * 40_000 + 200 * 20_000 + 300 * 80_000
    cost = catalog.cost_nano_usd("OPENAI", "gpt-4o-realtime-preview-2024-12-17", usage)
    assert cost == expected


def test_missing_cache_rate_falls_back_to_input_rate(catalog: PriceCatalog) -> None:
    price = catalog.price_for("OPENAI", "gpt-4-turbo")
    assert price is not None and price.cache_read is None
    cached = Usage(prompt_tokens=1000, cache_read_tokens=800)
    assert catalog.cost_nano_usd("OPENAI", "gpt-4-turbo", cached) == 1000 * 10_000


def test_uncached_prompt_never_negative(catalog: PriceCatalog) -> None:
    # A provider reporting more cache reads than prompt tokens must not earn a refund.
    usage = Usage(prompt_tokens=10, cache_read_tokens=100)
    assert catalog.cost_nano_usd("OPENAI", "gpt-4o-mini", usage) == 100 * 75


def test_zero_usage_costs_zero(catalog: PriceCatalog) -> None:
    assert catalog.cost_nano_usd("OPENAI", "gpt-4o", Usage()) == 0


@pytest.mark.parametrize(
    ("url", "provider"),
    [
        ("https://api.openai.com/v1/chat/completions", "OPENAI"),
        ("https://us.api.openai.com/v1", "OPENAI"),
        ("https://api.anthropic.com/v1/messages", "ANTHROPIC"),
        ("https://generativelanguage.googleapis.com/v1beta", "GOOGLE"),
        ("https://myres.openai.azure.com/openai/deployments/gpt4o", "AZURE"),
        ("https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke", "AWS"),
        ("https://openrouter.ai/api/v1", "OPENROUTER"),
        ("https://api.groq.com/openai/v1", "GROQ"),
        ("https://api.x.ai/v1", "X"),
        ("https://example.com/v1/chat/completions", None),
        ("http://api.openai.com/v1", None),
    ],
)
def test_provider_for_url(catalog: PriceCatalog, url: str, provider: str | None) -> None:
    assert catalog.provider_for_url(url) == provider


def test_default_catalog_is_loaded_once() -> None:
    assert PriceCatalog.load_default() is PriceCatalog.load_default()


def test_memoised_hit_is_fast(catalog: PriceCatalog) -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500, cache_read_tokens=100)
    catalog.cost_nano_usd("OPENAI", "gpt-4o-mini-2024-07-18", usage)
    runs = 20_000
    best = min(
        timeit.repeat(
            lambda: catalog.price_for("OPENAI", "gpt-4o-mini-2024-07-18"), number=runs, repeat=5
        )
    )
    assert best / runs < 5e-6


# The data file itself.


def test_json_rows_are_well_formed() -> None:
    data = _raw()
    assert data["version"] == 1
    provider_names = [p["name"] for p in data["providers"]]
    assert len(provider_names) == len(set(provider_names))
    for p in data["providers"]:
        re.compile(p["url_pattern"])
        assert set(p.get("inherits", [])) <= set(provider_names)
    seen: set[tuple[str, str, str]] = set()
    for row in data["models"]:
        for field in ("provider", "match", "model", "input", "output"):
            assert field in row, (field, row)
        assert row["provider"] in provider_names, row
        assert row["match"] in MATCH_KINDS, row
        assert row["model"] and row["model"] == row["model"].strip(), row
        for field, value in row.items():
            if field not in ("provider", "match", "model"):
                assert isinstance(value, int | float) and value >= 0, (field, row)
                assert value < 0.001, ("price looks like USD per 1K/1M, not per token", row)
        key = (row["provider"], row["match"], row["model"].lower())
        assert key not in seen, f"duplicate row {key}"
        seen.add(key)


def _always_matches(first: dict[str, Any], later: dict[str, Any]) -> bool:
    """Whether every model name that `later` matches is also matched by `first`."""
    a: str = first["model"].lower()
    b: str = later["model"].lower()
    if first["match"] == "includes":
        return a in b
    if first["match"] == "startsWith":
        return later["match"] != "includes" and b.startswith(a)
    return later["match"] == "equals" and a == b


def test_no_row_is_shadowed_by_an_earlier_row_of_its_provider() -> None:
    by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _raw()["models"]:
        by_provider[row["provider"]].append(row)
    shadowed = [
        f"{later['provider']}: {later['match']} {later['model']!r} hidden by "
        f"{first['match']} {first['model']!r}"
        for rows in by_provider.values()
        for j, later in enumerate(rows)
        for first in rows[:j]
        if _always_matches(first, later)
    ]
    assert shadowed == []


def test_shadow_check_catches_prefix_listed_first() -> None:
    short = {"match": "startsWith", "model": "gpt-4o"}
    long = {"match": "startsWith", "model": "gpt-4o-mini"}
    assert _always_matches(short, long)
    assert not _always_matches(long, short)


def test_every_row_prices_its_own_model_name(catalog: PriceCatalog) -> None:
    for row in catalog.models:
        assert catalog.price_for(row.provider, row.model) is row, row

"""Per-model token prices and the cost of one call, in Helicone's nano-dollar unit.

Prices live in `prices.json` (USD per token). Lookup follows Helicone's `costOf`: the
provider's own rows first, then every provider's rows, first match wins, so the file
lists longer names before the prefixes that would swallow them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, cast

from heliograph.usage import Usage

# ClickHouse stores `cost` as round(USD * 1e9) in a UInt64, like Helicone.
COST_PRECISION_MULTIPLIER = 1_000_000_000

MatchKind = Literal["equals", "startsWith", "includes"]
MATCH_KINDS: tuple[MatchKind, ...] = ("equals", "startsWith", "includes")

# Model names come from clients, so the memo must not grow without bound.
_MEMO_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per token for one price row; a None rate falls back to the input/output rate."""

    provider: str
    match: MatchKind
    model: str
    input: float = 0.0
    output: float = 0.0
    cache_read: float | None = None
    cache_write: float | None = None
    audio_input: float | None = None
    audio_output: float | None = None
    # Rates for long prompts (Helicone's registry: `threshold: 200000`), lowest first.
    tiers: tuple[PriceTier, ...] = ()

    def matches(self, model: str) -> bool:
        """Whether this row prices `model` (compared case-insensitively)."""
        name, wanted = model.lower(), self.model.lower()
        if self.match == "equals":
            return name == wanted
        if self.match == "startsWith":
            return name.startswith(wanted)
        return wanted in name

    def cost_usd(self, usage: Usage) -> float:
        """Price `usage`; its prompt_tokens include the cached and audio tokens."""
        for tier in reversed(self.tiers):
            if usage.prompt_tokens > tier.threshold:
                return tier.price.cost_usd(usage)
        cache_read = usage.cache_read_tokens
        cache_write = usage.cache_write_tokens
        audio_in = usage.prompt_audio_tokens
        audio_out = usage.completion_audio_tokens
        text_in = max(0, usage.prompt_tokens - cache_read - cache_write - audio_in)
        text_out = max(0, usage.completion_tokens - audio_out)
        return (
            text_in * self.input
            + cache_read * _or(self.cache_read, self.input)
            + cache_write * _or(self.cache_write, self.input)
            + audio_in * _or(self.audio_input, self.input)
            + text_out * self.output
            + audio_out * _or(self.audio_output, self.output)
        )


@dataclass(frozen=True, slots=True)
class PriceTier:
    """The price of a call whose prompt has more than `threshold` tokens."""

    threshold: int
    price: ModelPrice


@dataclass(frozen=True, slots=True)
class ProviderPattern:
    """A provider's Helicone name, upstream URL regex, and providers whose rows it reuses."""

    name: str
    pattern: re.Pattern[str]
    inherits: tuple[str, ...]


class PriceCatalog:
    """Provider URL patterns and model prices, with lookups memoised per (provider, model)."""

    def __init__(self, providers: Sequence[ProviderPattern], models: Sequence[ModelPrice]) -> None:
        self._providers = tuple(providers)
        self.models = tuple(models)
        known = {p.name for p in self._providers}
        for row in self.models:
            if row.provider not in known:
                raise ValueError(f"price row for unknown provider {row.provider!r}")
        rows_of: dict[str, list[ModelPrice]] = {name: [] for name in known}
        for row in self.models:
            rows_of[row.provider].append(row)
        # Candidate order per provider: own rows, inherited rows, then everything.
        self._candidates: dict[str, tuple[ModelPrice, ...]] = {}
        for p in self._providers:
            own = [r for name in (p.name, *p.inherits) for r in rows_of[name]]
            self._candidates[p.name] = (*own, *self.models)
        self._memo: dict[tuple[str, str], ModelPrice | None] = {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceCatalog:
        """Build a catalog from the parsed `prices.json` document."""
        if data.get("version") != 1:
            raise ValueError(f"unsupported prices.json version {data.get('version')!r}")
        providers = [
            ProviderPattern(
                name=p["name"],
                pattern=re.compile(p["url_pattern"]),
                inherits=tuple(p.get("inherits", ())),
            )
            for p in data["providers"]
        ]
        return cls(providers, [_price_from_json(row) for row in data["models"]])

    @classmethod
    def load_default(cls) -> PriceCatalog:
        """The catalog packaged with Heliograph, loaded once per process."""
        return _default_catalog()

    def provider_for_url(self, url: str) -> str | None:
        """Helicone's provider name for an upstream URL, or None when no pattern matches."""
        for p in self._providers:
            if p.pattern.search(url):
                return p.name
        return None

    def price_for(self, provider: str, model: str) -> ModelPrice | None:
        """The first row pricing `model`, trying `provider`'s rows before everyone's."""
        key = (provider, model)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self._lookup(provider, model)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found
        return found

    def offers(self, model: str) -> list[ModelPrice]:
        """One row per provider whose own price list matches `model`, in catalog order."""
        found: dict[str, ModelPrice] = {}
        for row in self.models:
            if row.provider not in found and row.matches(model):
                found[row.provider] = row
        return list(found.values())

    def cost_nano_usd(self, provider: str, model: str, usage: Usage) -> int | None:
        """Cost in USD x 1e9 (Helicone's stored unit), or None for an unknown model."""
        price = self.price_for(provider, model)
        if price is None:
            return None
        return round(price.cost_usd(usage) * COST_PRECISION_MULTIPLIER)

    def _lookup(self, provider: str, model: str) -> ModelPrice | None:
        name = provider.upper()
        if name not in self._candidates:
            # Like Helicone, accept the upstream URL in place of the provider name.
            name = self.provider_for_url(provider) or name
        for row in self._candidates.get(name, self.models):
            if row.matches(model):
                return row
        return None


@functools.cache
def _default_catalog() -> PriceCatalog:
    text = resources.files("heliograph.costs").joinpath("prices.json").read_text("utf-8")
    return PriceCatalog.from_json(json.loads(text))


def _price_from_json(row: Mapping[str, Any]) -> ModelPrice:
    match = row["match"]
    if match not in MATCH_KINDS:
        raise ValueError(f"bad match {match!r} for model {row.get('model')!r}")

    def rate(field: str) -> float | None:
        value = row.get(field)
        return None if value is None else float(value)

    return ModelPrice(
        provider=row["provider"],
        match=cast(MatchKind, match),
        model=row["model"],
        input=float(row["input"]),
        output=float(row["output"]),
        cache_read=rate("cache_read"),
        cache_write=rate("cache_write"),
        audio_input=rate("audio_input"),
        audio_output=rate("audio_output"),
    )


def _or(rate: float | None, fallback: float) -> float:
    return fallback if rate is None else rate

"""Helicone's model registry: model ids (`claude-4.5-sonnet`), each provider's own id for
them, and the price on each provider.

The registry lives in `helicone_registry.json`, written by `python -m
heliograph.costs.regenerate` from a checkout of Helicone's `packages/cost/models/authors`.
Provider names are the registry's (`anthropic`, `bedrock`, `google-ai-studio`, `vertex`);
which of them Heliograph can call is the gateway's business (gateway/routing.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from heliograph.costs.catalog import ModelPrice, PriceTier

REGISTRY_FILE = "helicone_registry.json"
REGISTRY_VERSION = 1


@dataclass(frozen=True, slots=True)
class RegistryEndpoint:
    """One provider's offer of a registry model: its own id for it and its price."""

    provider: str  # the registry's provider name
    provider_model_id: str
    price: ModelPrice  # for prompts up to the first tier's threshold; later tiers inside


@dataclass(frozen=True, slots=True)
class RegistryModel:
    id: str
    author: str
    name: str
    context_length: int | None
    endpoints: tuple[RegistryEndpoint, ...]

    def endpoint(self, provider: str) -> RegistryEndpoint | None:
        """This model's endpoint on `provider` (the registry's name), if it has one."""
        return next((e for e in self.endpoints if e.provider == provider), None)


class ModelRegistry:
    """Registry models by id (ids compare case-insensitively, as model strings do)."""

    def __init__(self, models: Sequence[RegistryModel], source: Mapping[str, Any]) -> None:
        self._by_id = {model.id.lower(): model for model in models}
        self.source = dict(source)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelRegistry:
        """The registry in a parsed `helicone_registry.json` document."""
        if data.get("version") != REGISTRY_VERSION:
            raise ValueError(f"unsupported {REGISTRY_FILE} version {data.get('version')!r}")
        return cls([_model(entry) for entry in data["models"]], data.get("source", {}))

    @classmethod
    def load_default(cls) -> ModelRegistry:
        """The registry packaged with Heliograph, loaded once per process."""
        return _default_registry()

    def get(self, model_id: str) -> RegistryModel | None:
        return self._by_id.get(model_id.lower())

    def __iter__(self) -> Iterator[RegistryModel]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


@functools.cache
def _default_registry() -> ModelRegistry:
    text = resources.files("heliograph.costs").joinpath(REGISTRY_FILE).read_text("utf-8")
    return ModelRegistry.from_json(json.loads(text))


def _model(entry: Mapping[str, Any]) -> RegistryModel:
    return RegistryModel(
        id=entry["id"],
        author=entry.get("author", ""),
        name=entry.get("name", entry["id"]),
        context_length=entry.get("context_length"),
        endpoints=tuple(_endpoint(e) for e in entry["endpoints"]),
    )


def _endpoint(entry: Mapping[str, Any]) -> RegistryEndpoint:
    provider, model = entry["provider"], entry["provider_model_id"]
    tiers = sorted(entry["tiers"], key=lambda t: t["threshold"])
    if not tiers or tiers[0]["threshold"] != 0:
        raise ValueError(f"{model} on {provider}: the first price tier must start at 0")
    prices = [_price(provider, model, tier) for tier in tiers]
    above = tuple(PriceTier(t["threshold"], p) for t, p in zip(tiers[1:], prices[1:], strict=True))
    return RegistryEndpoint(provider, model, replace(prices[0], tiers=above))


def _price(provider: str, model: str, tier: Mapping[str, Any]) -> ModelPrice:
    def rate(field: str) -> float | None:
        value = tier.get(field)
        return None if value is None else float(value)

    return ModelPrice(
        provider=provider.upper(),
        match="equals",
        model=model,
        input=float(tier["input"]),
        output=float(tier["output"]),
        cache_read=rate("cache_read"),
        cache_write=rate("cache_write"),
        audio_input=rate("audio_input"),
        audio_output=rate("audio_output"),
    )

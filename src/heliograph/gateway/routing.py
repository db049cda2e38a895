"""Helicone's model-string routing: `model`, `model/provider`, `model/provider/deployment`,
comma-separated fallback chains tried in order, and `!provider` exclusions.

A model is either a name the price catalog routes (`gpt-4o-mini`, `claude-3-5-sonnet-20241022`:
sent upstream as written) or an id of Helicone's model registry (`claude-4.5-sonnet`: sent as
each provider's own id for it, `claude-sonnet-4-5-20250929` to Anthropic, and priced at the
registry's price for that provider). A name both know routes as the catalog says, and a pinned
provider gets its own id for a registry model.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from heliograph.costs.catalog import ModelPrice, PriceCatalog
from heliograph.costs.registry import ModelRegistry, RegistryEndpoint
from heliograph.errors import AuthError, InvalidRequestError
from heliograph.gateway.providers import GatewayProvider
from heliograph.provider_specs import canonical_name

MAX_CHAIN = 50
MAX_CACHED_MODEL_STRINGS = 4096


@dataclass(frozen=True)
class Target:
    provider: GatewayProvider
    model: str  # the model name as the provider knows it
    deployment: str | None = None
    price: ModelPrice | None = None  # the registry's price, when the registry chose the model


@dataclass(frozen=True)
class ChainEntry:
    model: str
    provider: str | None = None
    deployment: str | None = None


def parse_model_string(value: str, known: set[str]) -> tuple[list[ChainEntry], set[str]]:
    """Entries in order and excluded provider names; a segment is a provider only if known."""
    entries: list[ChainEntry] = []
    excluded: set[str] = set()
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("!"):
            excluded.add(canonical_name(item[1:]))
            continue
        parts = item.split("/")
        names = [canonical_name(p) for p in parts]
        if len(parts) >= 2 and names[-1] in known:
            entries.append(ChainEntry("/".join(parts[:-1]), names[-1]))
        elif len(parts) >= 3 and names[-2] in known:
            entries.append(ChainEntry("/".join(parts[:-2]), names[-2], parts[-1]))
        else:
            entries.append(ChainEntry(item))
    if len(entries) > MAX_CHAIN:
        raise InvalidRequestError(f"At most {MAX_CHAIN} models in one fallback chain")
    return entries, excluded


class Router:
    def __init__(
        self,
        providers: dict[str, GatewayProvider],
        catalog: PriceCatalog,
        registry: ModelRegistry | None = None,
    ) -> None:
        self._providers = providers
        self._catalog = catalog
        self.registry = registry if registry is not None else ModelRegistry([], {})
        self._by_helicone = {p.helicone_name: p for p in providers.values()}
        # Model string -> targets with the server's own keys: providers and prices are fixed
        # for the process's life, and most calls repeat a handful of model strings.
        self._cached: dict[str, tuple[Target, ...]] = {}

    @property
    def providers(self) -> dict[str, GatewayProvider]:
        return self._providers

    def candidates(self, model: str) -> list[GatewayProvider]:
        """Providers whose price list has `model`, cheapest first.

        A prefix row routes only names that continue it at a boundary (`gpt-4o-mini` routes
        `gpt-4o-mini-2024-07-18`, not the typo `gpt-4o-minii`).
        """
        name = model.lower()
        rows = [row for row in self._catalog.offers(model) if _routes(row.model.lower(), name)]
        rows.sort(key=lambda r: r.input + r.output)
        found = [self._by_helicone.get(row.provider) for row in rows]
        return [p for p in found if p is not None]

    def targets(self, model_string: str, own_keys: dict[str, str] | None = None) -> list[Target]:
        """Targets to try in order; raises a clear error when none can be called.

        `own_keys` are the organization's stored provider keys: they replace the server's.
        """
        if not own_keys:
            cached = self._cached.get(model_string)
            if cached is None:
                cached = tuple(self._targets(model_string, self._providers))
                if len(self._cached) >= MAX_CACHED_MODEL_STRINGS:
                    self._cached.clear()
                self._cached[model_string] = cached
            return list(cached)
        providers = {
            name: replace(p, api_key=own_keys[name]) if name in own_keys else p
            for name, p in self._providers.items()
        }
        return self._targets(model_string, providers)

    def _targets(self, model_string: str, providers: dict[str, GatewayProvider]) -> list[Target]:
        entries, excluded = parse_model_string(model_string, set(providers))
        if not entries:
            raise InvalidRequestError("The model field is empty: name a model, e.g. gpt-4o-mini")
        targets: list[Target] = []
        unconfigured: list[str] = []
        for entry in entries:
            options = self._options(entry, providers, excluded)
            for target in options:
                if not target.provider.configured:
                    unconfigured.append(target.provider.name)
                    continue
                if target not in targets:
                    targets.append(target)
        if targets:
            return targets
        if unconfigured:
            names = ", ".join(sorted(set(unconfigured)))
            raise AuthError(
                f"No API key configured for provider(s) {names}: set e.g. "
                f"HELIOGRAPH_{sorted(set(unconfigured))[0].upper()}_API_KEY"
            )
        unknown = entries[0].model
        hint = difflib.get_close_matches(unknown, self.model_names(), n=5, cutoff=0.5)
        suffix = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise InvalidRequestError(
            f"Unknown model {unknown!r}: no provider offers it (pin one with "
            f"'{unknown}/<provider>'){suffix}"
        )

    def _options(
        self, entry: ChainEntry, providers: dict[str, GatewayProvider], excluded: set[str]
    ) -> list[Target]:
        """The targets one chain entry names, configured or not."""
        if entry.provider is not None:
            provider = providers[entry.provider]
            if provider.name in excluded:
                return []
            endpoint = self.registry_endpoint(entry.model, provider.name)
            if endpoint is None:  # any model may be pinned to a provider, as in Helicone
                return [Target(provider, entry.model, entry.deployment)]
            return [Target(provider, endpoint.provider_model_id, entry.deployment, endpoint.price)]
        routed = self.candidates(entry.model)
        if routed:
            return [
                Target(providers[p.name], entry.model) for p in routed if p.name not in excluded
            ]
        return [
            Target(providers[name], endpoint.provider_model_id, None, endpoint.price)
            for name, endpoint in self.registry_offers(entry.model)
            if name in providers and name not in excluded
        ]

    def registry_endpoint(self, model: str, provider: str) -> RegistryEndpoint | None:
        """The registry's endpoint of `model` on a provider of ours (by our name), if any."""
        found = self.registry.get(model)
        if found is None:
            return None
        return next((e for e in found.endpoints if canonical_name(e.provider) == provider), None)

    def registry_offers(self, model: str) -> list[tuple[str, RegistryEndpoint]]:
        """(our provider name, endpoint) for each provider of a registry model, cheapest
        first; providers we do not know by the registry's name are left out."""
        found = self.registry.get(model)
        if found is None:
            return []
        offers = [(canonical_name(e.provider), e) for e in found.endpoints]
        offers = [(name, e) for name, e in offers if name in self._providers]
        return sorted(offers, key=lambda o: o[1].price.input + o[1].price.output)

    def model_names(self) -> list[str]:
        names = {row.model for row in self._catalog.models if row.match != "includes"}
        return sorted(names | {model.id for model in self.registry})


def _routes(row_model: str, name: str) -> bool:
    if name == row_model:
        return True
    return name.startswith(row_model) and name[len(row_model)] in "-:@."

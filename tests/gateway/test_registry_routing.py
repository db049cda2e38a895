"""Model strings naming Helicone's registry ids (`claude-4.5-sonnet`): each provider gets its
own id for the model, with the registry's price, in every routing form Helicone accepts."""

from __future__ import annotations

import pytest

from heliograph.config import Settings
from heliograph.costs.catalog import PriceCatalog
from heliograph.costs.registry import ModelRegistry
from heliograph.errors import AuthError, InvalidRequestError
from heliograph.gateway.providers import gateway_providers
from heliograph.gateway.routing import Router, Target

SONNET = "claude-sonnet-4-5-20250929"


@pytest.fixture
def router() -> Router:
    keys = {"openai": "sk-server", "anthropic": "sk-ant-server", "openrouter": "sk-or"}
    settings = Settings(provider_api_keys=keys)
    providers = gateway_providers(settings)
    return Router(providers, PriceCatalog.load_default(), ModelRegistry.load_default())


def routed(targets: list[Target]) -> list[tuple[str, str, str | None]]:
    return [(t.provider.name, t.model, t.deployment) for t in targets]


def test_a_registry_id_goes_to_its_providers_under_their_own_ids_cheapest_first(router: Router):
    targets = router.targets("claude-4.5-sonnet")
    # Bedrock signs with AWS credentials (none needed to be routed); OpenRouter costs more.
    assert routed(targets) == [
        ("anthropic", SONNET, None),
        ("bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", None),
        ("openrouter", "anthropic/claude-sonnet-4.5", None),
    ]
    registry = router.registry.get("claude-4.5-sonnet")
    assert registry is not None
    assert [t.price for t in targets] == [
        registry.endpoint(name).price  # type: ignore[union-attr]
        for name in ("anthropic", "bedrock", "openrouter")
    ]


@pytest.mark.parametrize(
    ("model_string", "expected"),
    [
        ("claude-4.5-sonnet/anthropic", [("anthropic", SONNET, None)]),
        ("Claude-4.5-Sonnet/claude", [("anthropic", SONNET, None)]),
        (
            "claude-4.5-sonnet/bedrock/us-west-2",
            [("bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2")],
        ),
        (
            "gpt-4o/openai,claude-4.5-sonnet/anthropic",
            [("openai", "gpt-4o", None), ("anthropic", SONNET, None)],
        ),
        (
            "!anthropic,!bedrock,claude-4.5-sonnet",
            [("openrouter", "anthropic/claude-sonnet-4.5", None)],
        ),
        # A registry model on a provider the registry does not list is sent as written.
        ("claude-4.5-sonnet/groq", "unconfigured"),
    ],
)
def test_routing_forms(router: Router, model_string: str, expected: object):
    if expected == "unconfigured":
        with pytest.raises(AuthError, match="groq"):
            router.targets(model_string)
        return
    assert routed(router.targets(model_string)) == expected


def test_names_the_catalog_routes_keep_their_routes_and_catalog_prices(router: Router):
    assert [(t.provider.name, t.model, t.price) for t in router.targets("gpt-4o-mini")] == [
        ("openai", "gpt-4o-mini", None)
    ]
    unchanged = router.targets("claude-3-5-sonnet-20241022")
    assert [(t.provider.name, t.model, t.price) for t in unchanged] == [
        ("anthropic", "claude-3-5-sonnet-20241022", None)
    ]
    # Pinned to a provider the registry lists, the provider's own id and price.
    pinned = router.targets("gpt-4o-mini/openrouter")
    assert routed(pinned) == [("openrouter", "openai/gpt-4o-mini", None)]
    assert pinned[0].price is not None and pinned[0].price.input == 0.00000016


def test_an_unknown_model_hints_at_registry_ids(router: Router):
    with pytest.raises(InvalidRequestError, match=r"did you mean .*claude-4\.5-sonnet"):
        router.targets("claude-4.5-sonet")


def test_without_a_registry_registry_ids_are_unknown():
    settings = Settings(provider_api_keys={"anthropic": "sk-ant-server"})
    router = Router(gateway_providers(settings), PriceCatalog.load_default())
    with pytest.raises(InvalidRequestError, match=r"Unknown model 'claude-4\.5-sonnet'"):
        router.targets("claude-4.5-sonnet")

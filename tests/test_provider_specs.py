"""The provider spec table, and everything that derives from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from heliograph.config import DEFAULT_PROVIDER_BASE_URLS, Settings
from heliograph.costs.catalog import PriceCatalog
from heliograph.gateway.providers import gateway_providers
from heliograph.gateway.routes import RouteTable
from heliograph.gateway.routing import parse_model_string
from heliograph.provider_specs import (
    ALIASES,
    JAWN_ALIASES,
    PROVIDERS,
    SPECS,
    ProviderSpec,
    canonical_name,
)
from heliograph.providers.registry import FORMATS, model_in_path, wire_format
from heliograph.settings_sources import load_settings

IDS = [spec.name for spec in SPECS]


def test_names_helicone_names_and_aliases_are_unique() -> None:
    names = [spec.name for spec in SPECS]
    assert len(set(names)) == len(names)
    assert len({spec.helicone_name for spec in SPECS}) == len(SPECS)
    aliases = [alias for spec in SPECS for alias in spec.aliases]
    assert len(set(aliases)) == len(aliases) and not set(aliases) & set(names)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_alias_resolves_to_its_provider(spec: ProviderSpec) -> None:
    assert canonical_name(spec.name) == spec.name
    for alias in spec.aliases:
        assert canonical_name(alias) == canonical_name(alias.upper()) == spec.name
        entries, _ = parse_model_string(f"some-model/{alias}", set(PROVIDERS))
        assert entries[0].provider == spec.name
    assert canonical_name("ollama") == "ollama"  # unknown names stay as they are


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_the_price_catalog_knows_each_provider(spec: ProviderSpec) -> None:
    catalog = PriceCatalog.load_default()
    assert any(row.provider == spec.helicone_name for row in catalog.models)
    if spec.base_url is not None:
        url = spec.base_url.replace("{region}", "us-east-1") + "/"
        # The catalog lists AWS (which inherits Bedrock's prices) before Bedrock, same URLs.
        expected = {"BEDROCK": "AWS"}.get(spec.helicone_name, spec.helicone_name)
        assert catalog.provider_for_url(url) == expected


def test_config_defaults_derive_from_the_specs() -> None:
    passthrough = {spec.name: spec.base_url for spec in SPECS if spec.passthrough}
    assert passthrough == {
        "openai": "https://api.openai.com",
        "anthropic": "https://api.anthropic.com",
    }
    assert DEFAULT_PROVIDER_BASE_URLS == passthrough
    assert load_settings(environ={}).provider_base_urls == passthrough


@pytest.mark.parametrize("spec", [s for s in SPECS if s.key_env], ids=lambda s: s.name)
def test_each_conventional_key_variable_configures_its_provider(spec: ProviderSpec) -> None:
    for variable in spec.key_env:
        assert load_settings(environ={variable: "k"}).provider_api_keys == {spec.name: "k"}
    first, *rest = spec.key_env
    both = {variable: variable for variable in spec.key_env}
    if rest:  # the first variable of the list wins
        assert load_settings(environ=both).provider_api_keys == {spec.name: first}


def test_passthrough_routes_are_named_as_their_specs() -> None:
    bases = {spec.name: f"https://{spec.name}.example" for spec in SPECS} | {
        "ollama": "http://127.0.0.1:11434"
    }
    table = RouteTable(bases)
    for spec in SPECS:
        route = table.match(f"/{spec.name}/v1/anything")
        assert route is not None and route.provider == spec.helicone_name
    custom = table.match("/ollama/v1/chat/completions")
    assert custom is not None and custom.provider == "OLLAMA"
    for alias, name in JAWN_ALIASES.items():
        route = table.match(f"/v1/gateway/{alias}/v1/x")
        assert route is not None and route.provider == PROVIDERS[name].helicone_name
    assert JAWN_ALIASES == {"oai": "openai", "anthropic": "anthropic"}
    assert ALIASES == {
        "claude": "anthropic",
        "gemini": "google",
        "google-ai-studio": "google",  # Helicone's model registry's name for it
        "x": "xai",
        "grok": "xai",
    }


def test_gateway_providers_derive_from_the_specs() -> None:
    settings = Settings(
        provider_base_urls={**DEFAULT_PROVIDER_BASE_URLS, "azure": "https://r.openai.azure.com"},
        provider_api_keys={spec.name: f"key-{spec.name}" for spec in SPECS},
    )
    providers = gateway_providers(settings)
    assert set(providers) == set(PROVIDERS)
    for spec in SPECS:
        provider = providers[spec.name]
        assert (provider.helicone_name, provider.needs_key) == (spec.helicone_name, spec.needs_key)
        assert (provider.adapter is None) == (spec.adapter is None)
        if spec.adapter is None:  # OpenAI's format, the key as the spec says
            assert provider.auth_headers() == (
                {"authorization": f"Bearer key-{spec.name}"}
                if spec.auth == "bearer"
                else {spec.auth: f"key-{spec.name}"}
            )
        elif spec.needs_key:  # the adapter sends the key where the spec says
            call = provider.adapter.chat_request(  # type: ignore[union-attr]
                {"messages": [{"role": "user", "content": "hi"}]}, "m", "the-key", False
            )
            assert call.headers[spec.auth] == "the-key"
    assert "azure" not in gateway_providers(Settings())  # no default resource URL


def test_azure_calls_go_to_the_deployment() -> None:
    settings = Settings(provider_base_urls={"azure": "https://r.openai.azure.com/"})
    azure = gateway_providers(settings)["azure"]
    assert azure.url("/chat/completions", "gpt-4o", "eu-prod") == (
        "https://r.openai.azure.com/openai/deployments/eu-prod/chat/completions"
        f"?api-version={settings.azure_api_version}"
    )
    assert azure.url("/embeddings", "text-embedding-3-small", None).startswith(
        "https://r.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings?"
    )


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_provider_path_is_read_in_its_spec_wire_format(spec: ProviderSpec) -> None:
    assert wire_format(spec.helicone_name, "/v1/some/endpoint") is FORMATS[spec.wire]


@pytest.mark.parametrize(
    ("provider", "path", "wire"),
    [
        ("GOOGLE", "/v1beta/models/gemini-2.0-flash:generateContent", "gemini"),
        ("GOOGLE", "/v1beta/openai/chat/completions", "openai"),  # Google's OpenAI endpoint
        ("CUSTOM", "/v1beta/models/gemini-2.0-flash:streamGenerateContent", "gemini"),
        ("AWS", "/model/amazon.nova-lite-v1:0/converse", "bedrock"),
        ("CUSTOM", "/v1/messages", "anthropic"),
        ("ANTHROPIC", "/v1/messages/count_tokens", "anthropic"),
        ("AZURE", "/openai/deployments/gpt-4o/chat/completions", "openai"),
        ("CUSTOM", "/anything", "openai"),
    ],
)
def test_a_distinctive_path_decides_the_wire_format(provider: str, path: str, wire: str) -> None:
    assert wire_format(provider, path) is FORMATS[wire]  # type: ignore[index]


CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE = "arn:aws:bedrock:us-east-1:1:inference-profile/us.amazon.nova-lite-v1:0"
VERTEX = "/v1/projects/p/locations/l/publishers/google/models"


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1beta/models/gemini-2.0-flash:generateContent", "gemini-2.0-flash"),
        (f"{VERTEX}/gemini-2.5-pro:streamGenerateContent", "gemini-2.5-pro"),
        (f"/model/{CLAUDE}/converse", CLAUDE),
        (f"/model/{PROFILE}/converse-stream", PROFILE),  # an ARN's slash, decoded
        ("/v1/chat/completions", None),
        ("/v1beta/models/gemini-2.0-flash:countTokens", None),
    ],
)
def test_the_model_in_a_path(path: str, model: str | None) -> None:
    assert model_in_path(path) == model


def test_the_gateway_docs_name_every_provider_and_key_variable() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "gateway.md").read_text()
    for spec in SPECS:
        assert f"`{spec.name}`" in docs
        for variable in spec.key_env:
            assert f"`{variable}`" in docs or variable == f"{spec.name.upper()}_API_KEY"

"""The router's memo of model strings: the same answers as without it, and an organization's
own provider keys never land in it."""

from __future__ import annotations

import pytest

from heliograph.config import Settings
from heliograph.costs.catalog import PriceCatalog
from heliograph.errors import InvalidRequestError
from heliograph.gateway.providers import gateway_providers
from heliograph.gateway.routing import Router


@pytest.fixture
def router() -> Router:
    settings = Settings(provider_api_keys={"openai": "sk-server", "anthropic": "sk-ant-server"})
    return Router(gateway_providers(settings), PriceCatalog.load_default())


def test_repeated_model_strings_get_equal_fresh_lists(router: Router):
    first = router.targets("gpt-4o-mini/openai,claude-3-5-sonnet-20241022")
    first.append(first[0])  # a caller changing its list must not change the next answer
    second = router.targets("gpt-4o-mini/openai,claude-3-5-sonnet-20241022")
    assert [(t.provider.name, t.model) for t in second] == [
        ("openai", "gpt-4o-mini"),
        ("anthropic", "claude-3-5-sonnet-20241022"),
    ]


def test_an_organizations_own_key_is_used_for_it_only(router: Router):
    own = router.targets("gpt-4o-mini/openai", {"openai": "sk-org-own"})
    assert own[0].provider.api_key == "sk-org-own"
    assert router.targets("gpt-4o-mini/openai")[0].provider.api_key == "sk-server"
    assert router.targets("gpt-4o-mini/openai", {"openai": "sk-org-own"})[0].provider.api_key == (
        "sk-org-own"
    )


def test_errors_are_raised_every_time_not_remembered(router: Router):
    for _ in range(2):
        with pytest.raises(InvalidRequestError, match="Unknown model"):
            router.targets("no-such-model-anywhere")

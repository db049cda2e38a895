"""Helicone's model registry: the regeneration script on a checkout laid out like Helicone's,
the TypeScript literals it reads, and a sample of ids in the shipped helicone_registry.json."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from heliograph.costs import regenerate
from heliograph.costs.catalog import COST_PRECISION_MULTIPLIER
from heliograph.costs.registry import ModelRegistry
from heliograph.costs.ts_literals import Reference, module_constants
from heliograph.usage import Usage

# Written for these tests in the shape of Helicone's packages/cost/models/authors files
# (`"<model id>:<provider>": {...}` entries, price tiers, cache multipliers, `satisfies`),
# with the prices and provider ids the shipped registry has for the same endpoints.
SONNET_ENDPOINTS = """\
import { ModelProviderName } from "../../../providers";
import type { ModelProviderConfig } from "../../../types";

export const endpoints = {
  "claude-4.5-sonnet:anthropic": {
    providerModelId: "claude-sonnet-4-5-20250929",
    provider: "anthropic",
    author: "anthropic",
    pricing: [
      {
        threshold: 0,
        input: 0.000003,
        output: 0.000015,
        cacheMultipliers: { cachedInput: 0.1, write5m: 1.25, write1h: 2.0 },
      },
      // above 200K prompt tokens; the cache multipliers carry over
      { threshold: 200_000, input: 0.000006, output: 0.0000225 },
    ],
    contextLength: 200_000,
    endpointConfigs: { "*": {} },
  },
  'claude-4.5-sonnet:bedrock': {
    provider: "bedrock",
    providerModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    pricing: [{ threshold: 0, input: 0.000003, output: 0.000015, cacheMultipliers: {
      cachedInput: 0.1, write5m: 1.25 } }, { threshold: 200000, input: 0.000006,
      output: 0.0000225 }],
    endpointConfigs: { "us-east-1": {} },
  },
  "claude-4.5-sonnet:openrouter": {
    provider: "openrouter",
    providerModelId: `anthropic/claude-sonnet-4.5`,
    pricing: [{ threshold: 0, input: 0.00000633, output: 0.00002374 }], /* 1.055x */
  },
} satisfies Partial<
  Record<`${ClaudeSonnet45ModelName}:${ModelProviderName}`, ModelProviderConfig>
>;
"""
SONNET_MODEL = """\
export const models = {
  "claude-4.5-sonnet": {
    name: "Anthropic: Claude Sonnet 4.5",
    author: "anthropic",
    description: "It says \\"hello\\", with a comma, and // no comment",
    contextLength: 200000,
    modality: { inputs: ["text", "image"], outputs: ["text"] },
  },
} satisfies Record<string, ModelConfig>;
"""
GPT_ENDPOINTS = """\
const OPENAI_BASE = { author: "openai", ptbEnabled: true } as const;
const MINI_PRICING = [{ threshold: 0, input: 0.00000015, output: 0.0000006,
  cacheMultipliers: { cachedInput: 0.5 } }];

export const endpoints = {
  "gpt-4o-mini:openai": {
    ...OPENAI_BASE,
    providerModelId: "gpt-4o-mini",
    provider: "openai",
    pricing: MINI_PRICING,
  },
  "gpt-4o-mini-lite:openai": {
    provider: "openai",
    providerModelId: "gpt-4o-mini-lite",
    pricing: [{ threshold: 0, input: 0.0000001, output: 0.0000004, audio: 0.0000003,
      cacheMultipliers: { read: 0.25, write5m: 1.0 } }],
  },
  "gpt-4o-mini:azure": {
    provider: "azure",
    providerModelId: "gpt-4o-mini",
    pricing: pricingFromSomewhereElse(),
  },
};
"""


def write_checkout(root: Path) -> Path:
    authors = root / "packages/cost/models/authors"
    files = {
        "anthropic/claude-4.5-sonnet/endpoints.ts": SONNET_ENDPOINTS,
        "anthropic/claude-4.5-sonnet/model.ts": SONNET_MODEL,
        "openai/gpt-4o/endpoints.ts": GPT_ENDPOINTS,
    }
    for name, text in files.items():
        (authors / name).parent.mkdir(parents=True, exist_ok=True)
        (authors / name).write_text(text)
    return root


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {model["id"]: model for model in document["models"]}


def endpoint(model: dict[str, Any], provider: str) -> dict[str, Any]:
    return next(e for e in model["endpoints"] if e["provider"] == provider)


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    path = Path(regenerate.__file__).with_name("helicone_registry.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_the_script_writes_ids_provider_ids_and_tiers(tmp_path: Path, capsys: Any):
    checkout = write_checkout(tmp_path / "helicone")
    out = tmp_path / "registry.json"
    assert regenerate.main([str(checkout), "--out", str(out), "--commit", "c0ffee"]) == 0
    document = json.loads(out.read_text())
    assert document["source"]["commit"] == "c0ffee"
    models = by_id(document)
    assert sorted(models) == ["claude-4.5-sonnet", "gpt-4o-mini", "gpt-4o-mini-lite"]
    sonnet = models["claude-4.5-sonnet"]
    assert {k: v for k, v in sonnet.items() if k != "endpoints"} == {
        "id": "claude-4.5-sonnet",
        "name": "Anthropic: Claude Sonnet 4.5",
        "author": "anthropic",
        "context_length": 200000,
    }
    assert endpoint(sonnet, "anthropic") == {
        "provider": "anthropic",
        "provider_model_id": "claude-sonnet-4-5-20250929",
        "tiers": [
            {
                "threshold": 0,
                "input": 0.000003,
                "output": 0.000015,
                "cache_read": 0.0000003,
                "cache_write": 0.00000375,
            },
            {
                "threshold": 200000,
                "input": 0.000006,
                "output": 0.0000225,
                "cache_read": 0.0000006,
                "cache_write": 0.0000075,
            },
        ],
    }
    assert endpoint(sonnet, "openrouter")["provider_model_id"] == "anthropic/claude-sonnet-4.5"
    # A constant of the module resolves; a price computed by code is left out and reported.
    mini = models["gpt-4o-mini"]
    assert [e["provider"] for e in mini["endpoints"]] == ["openai"]
    assert endpoint(mini, "openai")["tiers"][0]["cache_read"] == 0.000000075
    # `read` is cachedInput's older name; a tier's `audio` is the audio input rate.
    assert endpoint(models["gpt-4o-mini-lite"], "openai")["tiers"] == [
        {
            "threshold": 0,
            "input": 0.0000001,
            "output": 0.0000004,
            "cache_read": 0.000000025,
            "cache_write": 0.0000001,
            "audio_input": 0.0000003,
        }
    ]
    err = capsys.readouterr().err
    assert "gpt-4o-mini:azure: no literal price or id" in err


def test_the_script_agrees_with_the_shipped_registry_on_a_sample(
    tmp_path: Path, shipped: dict[str, Any]
):
    out = tmp_path / "registry.json"
    assert regenerate.main([str(write_checkout(tmp_path / "helicone")), "--out", str(out)]) == 0
    written, packaged = by_id(json.loads(out.read_text())), by_id(shipped)
    for model_id, provider in [
        ("claude-4.5-sonnet", "anthropic"),
        ("claude-4.5-sonnet", "bedrock"),
        ("claude-4.5-sonnet", "openrouter"),
        ("gpt-4o-mini", "openai"),
    ]:
        assert endpoint(written[model_id], provider) == endpoint(packaged[model_id], provider)


def test_an_endpoint_defined_twice_is_listed_once_as_last_read(tmp_path: Path):
    checkout = write_checkout(tmp_path / "helicone")
    again = checkout / "packages/cost/models/authors/openai/zz-later/endpoints.ts"
    again.parent.mkdir(parents=True)
    again.write_text(
        'export const endpoints = { "gpt-4o-mini:openai": { provider: "openai",'
        ' providerModelId: "gpt-4o-mini-2024-07-18", pricing: [{ input: 1e-7, output: 2e-7 }] } };'
    )
    out = tmp_path / "registry.json"
    assert regenerate.main([str(checkout), "--out", str(out)]) == 0
    mini = by_id(json.loads(out.read_text()))["gpt-4o-mini"]
    assert mini["endpoints"] == [
        {
            "provider": "openai",
            "provider_model_id": "gpt-4o-mini-2024-07-18",
            "tiers": [{"threshold": 0, "input": 1e-7, "output": 2e-7}],
        }
    ]


def test_the_checkout_commit_and_date_are_recorded(tmp_path: Path):
    checkout = write_checkout(tmp_path / "helicone")
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "registry"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    out = tmp_path / "registry.json"
    assert regenerate.main([str(checkout), "--out", str(out)]) == 0
    source = json.loads(out.read_text())["source"]
    assert source["commit"] == head.stdout.strip()
    assert source["date"][:2] == "20" and "T" in source["date"]


def test_a_path_that_is_no_checkout_is_refused_and_nothing_written(tmp_path: Path, capsys: Any):
    out = tmp_path / "registry.json"
    assert regenerate.main([str(tmp_path), "--out", str(out)]) == 1
    assert "give the checkout's root" in capsys.readouterr().err
    assert not out.exists()


def test_typescript_literals():
    source = """
    const A = { x: 1_000, "y": 'two', z: [true, null, undefined,], };
    export const B: Record<string, number> = { ...A, w: A, v: 1.5e-6, u: imported, s: f(1) };
    const C = 42 as const;
    """
    found = module_constants(source)
    assert found["A"] == {"x": 1000, "y": "two", "z": [True, None, None]}
    assert found["B"] == {
        "x": 1000,
        "y": "two",
        "z": [True, None, None],
        "w": found["A"],
        "v": 1.5e-6,
        "u": Reference("imported"),
        "s": Reference("f"),
    }
    assert found["C"] == 42
    errors: list[str] = []
    assert module_constants("export const D = { a: `x${y}` };", errors) == {}
    assert errors and errors[0].startswith("D: line 1: template literal")


def test_the_shipped_registry_records_its_source(shipped: dict[str, Any]):
    source = shipped["source"]
    assert source["repository"] == "Helicone/helicone"
    assert source["commit"] and source["date"]
    assert source["path"] == "packages/cost/models/authors"


def test_shipped_sample_ids_map_to_provider_ids_and_prices():
    registry = ModelRegistry.load_default()
    sonnet = registry.get("claude-4.5-sonnet")
    assert sonnet is not None and registry.get("Claude-4.5-Sonnet") is sonnet
    anthropic = sonnet.endpoint("anthropic")
    assert anthropic is not None
    assert anthropic.provider_model_id == "claude-sonnet-4-5-20250929"
    bedrock = sonnet.endpoint("bedrock")
    assert bedrock and bedrock.provider_model_id == "anthropic.claude-sonnet-4-5-20250929-v1:0"
    haiku = registry.get("claude-4.5-haiku")
    assert haiku and haiku.endpoint("anthropic").provider_model_id == "claude-haiku-4-5-20251001"  # type: ignore[union-attr]
    mini = registry.get("gpt-4o-mini")
    assert mini and mini.endpoint("openrouter").provider_model_id == "openai/gpt-4o-mini"  # type: ignore[union-attr]
    # 1,000 prompt tokens (100 of them read from the cache) and 500 completion tokens, in
    # nano-USD: 900 x 3,000 + 100 x 300 + 500 x 15,000.
    usage = Usage(prompt_tokens=1000, completion_tokens=500, cache_read_tokens=100)
    nano = round(anthropic.price.cost_usd(usage) * COST_PRECISION_MULTIPLIER)
    assert nano == 900 * 3000 + 100 * 300 + 500 * 15000
    # Above 200K prompt tokens, the long-context tier: 6,000 and 22,500 nano-USD a token.
    long = Usage(prompt_tokens=200_001, completion_tokens=10)
    nano = round(anthropic.price.cost_usd(long) * COST_PRECISION_MULTIPLIER)
    assert nano == 200_001 * 6000 + 10 * 22500

"""Every provider's passthrough route, end to end: the call is logged with its model, tokens
and cost, whatever wire format the provider speaks (the fake answers in each of them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from heliograph.costs.catalog import PriceCatalog
from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.generation import sentence
from heliograph.usage import Usage
from tests.server import HeliographProcess

PROMPT = "Say something about mirrors and the sun."
PROMPT_TOKENS = len(PROMPT) // 4 + 1  # the fake provider's documented formula
WORDS = 7  # completion tokens, asked of the fake with `x-fake-behaviour: words=7`
BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"

# Each OpenAI-format provider: its Helicone name and a model the price catalog knows.
OPENAI_FORMAT_MODELS = {
    "openai": ("OPENAI", "gpt-4o-mini"),
    "azure": ("AZURE", "gpt-4o-mini"),
    "groq": ("GROQ", "llama-3.1-8b-instant"),
    "deepseek": ("DEEPSEEK", "deepseek-chat"),
    "xai": ("X", "grok-3"),
    "mistral": ("MISTRAL", "mistral-small-latest"),
    "openrouter": ("OPENROUTER", "openai/gpt-4o-mini"),
    "together": ("TOGETHER", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    "fireworks": ("FIREWORKS", "accounts/fireworks/models/llama-v3p1-8b-instruct"),
    "perplexity": ("PERPLEXITY", "sonar-pro"),
}


@dataclass(frozen=True)
class Case:
    route: str  # the configured provider name: its passthrough route is /<route>/...
    path: str
    body: dict[str, Any]
    provider: str  # Helicone's name, as logged
    model: str  # as logged
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = False
    reply_at: tuple[str | int, ...] = ("choices", 0, "message", "content")  # in the stored answer

    @property
    def id(self) -> str:
        return f"{self.route}-stream" if self.stream else self.route


def _openai_case(name: str, helicone_name: str, model: str) -> Case:
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}]}
    return Case(name, "/v1/chat/completions", body, helicone_name, model)


GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
GEMINI_KEY = {"x-goog-api-key": "AIza-upstream"}
GEMINI_REPLY = ("candidates", 0, "content", "parts", 0, "text")
BEDROCK_BODY = {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]}
BEDROCK_REPLY = ("output", "message", "content", 0, "text")
BEDROCK_AUTH = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1"}

CASES = [
    *(_openai_case(name, *known) for name, known in OPENAI_FORMAT_MODELS.items()),
    Case(
        "anthropic",
        "/v1/messages",
        {
            "model": "claude-3-5-sonnet-20241022",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": PROMPT}],
        },
        "ANTHROPIC",
        "claude-3-5-sonnet-20241022",
        {"x-api-key": "sk-ant-upstream", "anthropic-version": "2023-06-01"},
        reply_at=("content", 0, "text"),
    ),
    Case(
        "google",
        "/v1beta/models/gemini-2.0-flash:generateContent",
        GEMINI_BODY,
        "GOOGLE",
        "gemini-2.0-flash",
        GEMINI_KEY,
        reply_at=GEMINI_REPLY,
    ),
    Case(
        "google",
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
        GEMINI_BODY,
        "GOOGLE",
        "gemini-2.0-flash",
        GEMINI_KEY,
        stream=True,
        reply_at=GEMINI_REPLY,
    ),
    Case(
        "bedrock",
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
        BEDROCK_BODY,
        "BEDROCK",
        BEDROCK_MODEL,
        BEDROCK_AUTH,
        reply_at=BEDROCK_REPLY,
    ),
    Case(
        "bedrock",
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
        BEDROCK_BODY,
        "BEDROCK",
        BEDROCK_MODEL,
        BEDROCK_AUTH,
        stream=True,
        reply_at=BEDROCK_REPLY,
    ),
]


@pytest.fixture(scope="module")
def providers_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    """A server with every provider's base URL at the fake: each has its route."""
    bases = {f"HELIOGRAPH_{case.route.upper()}_BASE_URL": fake_provider.url for case in CASES}
    server = HeliographProcess(
        tmp_path_factory.mktemp("providers") / "data", fake_provider.url, env=bases
    )
    server.start()
    yield server
    server.stop()


def test_every_provider_has_a_case() -> None:
    from heliograph.provider_specs import SPECS

    assert {case.route for case in CASES} == {spec.name for spec in SPECS}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_passthrough_call_is_logged_with_model_tokens_and_cost(
    providers_server: HeliographProcess, case: Case
) -> None:
    request_id = str(uuid.uuid4())
    headers = {
        **providers_server.auth,
        **case.headers,
        "Helicone-Request-Id": request_id,
        "x-fake-behaviour": f"words={WORDS}",
    }
    url = f"{providers_server.url}/{case.route}{case.path}"
    response = httpx.post(url, json=case.body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text

    usage = Usage(prompt_tokens=PROMPT_TOKENS, completion_tokens=WORDS)
    cost = PriceCatalog.load_default().cost_nano_usd(case.provider, case.model, usage)
    assert cost, f"the price catalog should know {case.provider}/{case.model}"

    row = providers_server.wait_for_request(request_id)
    logged = [row[key] for key in ("provider", "model", "prompt_tokens", "completion_tokens")]
    assert logged == [case.provider, case.model, PROMPT_TOKENS, WORDS]
    assert row["cost"] == pytest.approx(cost / 1e9)
    answer = row["response_body"]  # a stream's: the message its events add up to
    for key in case.reply_at:
        answer = answer[key]
    assert answer == sentence(WORDS).text

"""A run's cost, estimated before it starts.

Prompt tokens are counted from the text each call would send: the version's messages with
every `{{hc:name:type}}` replaced by the row's input (about 4 characters a token, as
OpenAI's rule of thumb has it). Completion tokens are the version's `max_tokens` (or
`max_completion_tokens`) when it sets one, else DEFAULT_COMPLETION_TOKENS: an upper bound,
not a prediction. The price is the catalog's for the version's model (the first target's
provider when it names one, else the model's first offer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heliograph.costs.catalog import PriceCatalog
from heliograph.prompts.templates import VARIABLE
from heliograph.usage import Usage

CHARS_PER_TOKEN = 4
DEFAULT_COMPLETION_TOKENS = 256


@dataclass(frozen=True)
class VersionEstimate:
    prompt_version_id: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # None: the model is not in the price catalog


def _messages_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [p["text"] for p in content if isinstance(p, dict) and "text" in p]
    return "\n".join(str(part) for part in parts)


def prompt_chars(text: str, inputs: dict[str, Any]) -> int:
    """The length of `text` once its variables are filled from `inputs`."""
    size = len(text)
    for match in VARIABLE.finditer(text):
        value = inputs.get(match.group(1), "")
        size += len(value if isinstance(value, str) else str(value)) - len(match.group(0))
    return max(size, 0)


def completion_tokens(body: dict[str, Any]) -> int:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return DEFAULT_COMPLETION_TOKENS


def price(catalog: PriceCatalog, model: str, usage: Usage) -> float | None:
    """The first target's price: the gateway's `model/provider[/deployment]`, fallbacks
    after a comma (docs/gateway.md), or a bare model at its first offer."""
    name, _, rest = model.split(",")[0].strip().partition("/")
    provider = rest.split("/")[0]
    offers = [catalog.price_for(provider, name)] if provider else catalog.offers(name)
    offer = next((o for o in offers if o is not None), None)
    return None if offer is None else offer.cost_usd(usage)


def filled_chars(body: dict[str, Any], rows: list[dict[str, Any]]) -> int:
    """The characters `body`'s messages come to, filled from each row's inputs, in all."""
    text = _messages_text(body)
    return sum(prompt_chars(text, inputs) for inputs in rows)


def estimate(
    catalog: PriceCatalog, version_id: str, body: dict[str, Any], calls: int, chars: int
) -> VersionEstimate:
    """The estimate for `calls` calls of `body` (a version's) whose filled messages come
    to `chars` characters in all (filled_chars)."""
    prompt = -(-chars // CHARS_PER_TOKEN)
    completion = completion_tokens(body) * calls
    model = str(body.get("model") or "")
    cost = price(catalog, model, Usage(prompt_tokens=prompt, completion_tokens=completion))
    return VersionEstimate(version_id, model, calls, prompt, completion, cost)

"""`heliograph serve --demo`: a built-in mock provider and a little sample traffic."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from typing import Any

from heliograph.config import Settings
from heliograph.mock_provider import FakeProvider

DEMO_KEY = "sk-helicone-demo-0000-0000-0000"
SAMPLE_REQUESTS = 40
log = logging.getLogger("heliograph.demo")

_USERS = ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]
_QUESTIONS = [
    "Summarise the history of the heliograph in two sentences.",
    "Write a haiku about sunlight on a mirror.",
    "What is the capital of Australia?",
    "Explain exponential backoff to a new engineer.",
]


def prepare_demo(settings: Settings) -> Settings:
    """Start the mock provider and point the OpenAI and Anthropic routes at it."""
    provider = FakeProvider().start()
    bases = {**settings.provider_base_urls, "openai": provider.url, "anthropic": provider.url}
    return replace(settings, provider_base_urls=bases, api_key=settings.api_key or DEMO_KEY)


def _sample(index: int) -> tuple[str, dict[str, str], dict[str, Any]]:
    rng = random.Random(index)
    question = rng.choice(_QUESTIONS)
    headers = {
        "Helicone-User-Id": rng.choice(_USERS),
        "Helicone-Property-Environment": rng.choice(["production", "staging"]),
        "Helicone-Property-App": rng.choice(["web", "mobile"]),
        "Helicone-Session-Id": f"demo-session-{index // 5}",
        "Helicone-Session-Path": f"/agent/step-{index % 5}",
        "Helicone-Session-Name": "Demo agent run",
    }
    if index % 13 == 12:
        headers["x-fake-behaviour"] = "status=429"
    if index % 3 == 2:
        body = {
            "model": "claude-3-5-sonnet-20241022",
            "max_tokens": 200,
            "stream": index % 2 == 0,
            "messages": [{"role": "user", "content": question}],
        }
        return "/anthropic/v1/messages", headers, body
    body = {
        "model": rng.choice(["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"]),
        "stream": index % 4 == 0,
        "messages": [{"role": "user", "content": question}],
    }
    return "/openai/v1/chat/completions", headers, body


def _send_samples(base_url: str, api_key: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base_url + "/healthz", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    for index in range(SAMPLE_REQUESTS):
        path, headers, body = _sample(index)
        request = urllib.request.Request(
            base_url + path,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer sk-demo-provider-key",
                "Helicone-Auth": f"Bearer {api_key}",
                "Helicone-Request-Id": str(uuid.uuid4()),
                **headers,
            },
        )
        try:
            urllib.request.urlopen(request, timeout=10).read()
        except urllib.error.HTTPError:
            pass  # the sample includes a rate-limited call on purpose
        except OSError as exc:
            log.warning("demo traffic stopped: %s", exc)
            return
    log.info("demo: sent %d sample requests", SAMPLE_REQUESTS)


def start_demo_traffic(_app: object, settings: Settings) -> None:
    """Send the sample requests from a background thread once the server answers."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    base_url = f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"
    print(f"Demo API key: {settings.api_key}")
    print(
        f"Try: curl {base_url}/openai/v1/chat/completions -H 'Helicone-Auth: Bearer "
        f'{settings.api_key}\' -d \'{{"model":"gpt-4o-mini","messages":'
        '[{"role":"user","content":"Hello"}]}\''
    )
    threading.Thread(target=_send_samples, args=(base_url, settings.api_key), daemon=True).start()

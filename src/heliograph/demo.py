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
from pathlib import Path
from typing import Any

from heliograph.config import Settings
from heliograph.mock_provider import FakeProvider
from heliograph.provider_specs import SPECS

DEMO_KEY = "sk-helicone-demo-0000-0000-0000"
SAMPLE_REQUESTS = 40
SAMPLE_NAMESPACE = uuid.UUID("6f1d1c8e-3c55-4b8e-9a4e-2f6f5b7f0d11")
SAMPLES_SENT = "demo-samples-sent"  # in the data dir, once every sample went out
log = logging.getLogger("heliograph.demo")

_USERS = ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]
_QUESTIONS = [
    "Summarise the history of the heliograph in two sentences.",
    "Write a haiku about sunlight on a mirror.",
    "What is the capital of Australia?",
    "Explain exponential backoff to a new engineer.",
]


def demo_providers() -> list[str]:
    """The providers the mock speaks for: OpenAI's chat path, Anthropic's and Gemini's."""
    return [
        spec.name
        for spec in SPECS
        if spec.base_url is not None
        and spec.needs_key
        and (spec.adapter is not None or spec.chat_path == "/v1/chat/completions")
    ]


def prepare_demo(settings: Settings) -> Settings:
    """Start the mock provider and point every provider it can stand in for at it, each with
    a key of its own (the mock takes any), so that the docs' examples need no setting."""
    provider = FakeProvider().start()
    names = demo_providers()
    bases = {**settings.provider_base_urls, **{name: provider.url for name in names}}
    keys = {**{name: f"sk-demo-{name}" for name in names}, **settings.provider_api_keys}
    return replace(
        settings,
        provider_base_urls=bases,
        provider_api_keys=keys,
        api_key=settings.api_key or DEMO_KEY,
    )


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


def _send_samples(base_url: str, api_key: str, sent_marker: Path) -> None:
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
                # Fixed ids: samples sent again (a restart before they all went) replace their
                # rows instead of adding to the sample sessions.
                "Helicone-Request-Id": str(uuid.uuid5(SAMPLE_NAMESPACE, str(index))),
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
    sent_marker.touch()
    log.info("demo: sent %d sample requests", SAMPLE_REQUESTS)


def start_demo_traffic(_app: object, settings: Settings) -> None:
    """Say how to call the demo; send the sample requests from a background thread once the
    server answers, once per data dir."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    base_url = f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"
    print(demo_banner(base_url, settings.api_key))
    sent_marker = settings.data_dir / SAMPLES_SENT
    if sent_marker.exists():
        log.info("demo: the sample requests were sent before (%s)", sent_marker)
        return
    args = (base_url, settings.api_key, sent_marker)
    threading.Thread(target=_send_samples, args=args, daemon=True).start()


def demo_banner(base_url: str, key: str) -> str:
    """The key, the base URLs and three examples to copy."""
    chat = '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}'
    fallback = chat.replace(
        "gpt-4o-mini", "gpt-4o-mini/openai,claude-3-5-sonnet-20241022/anthropic"
    )
    return f"""
Heliograph demo: a mock provider stands in for {", ".join(demo_providers())}.
  Heliograph key:   {key}
  Dashboard:        {base_url}/
  OpenAI proxy:     {base_url}/openai/v1   (send Helicone-Auth: Bearer <key>)
  Anthropic proxy:  {base_url}/anthropic
  Unified gateway:  {base_url}/v1          (the key is the API key; model "name/provider")

Try:
  curl {base_url}/openai/v1/chat/completions -H 'Helicone-Auth: Bearer {key}' \\
    -H 'Content-Type: application/json' -d '{chat}'
  curl {base_url}/v1/chat/completions -H 'Authorization: Bearer {key}' \\
    -H 'Content-Type: application/json' -d '{fallback}'
  python -c "from openai import OpenAI; print(OpenAI(base_url='{base_url}/v1', \\
    api_key='{key}').chat.completions.create(model='gpt-4o-mini', \\
    messages=[{{'role': 'user', 'content': 'Hello'}}]).choices[0].message.content)"

Stop with Ctrl-C. Everything is stored in the data dir below: delete it to start over.
"""

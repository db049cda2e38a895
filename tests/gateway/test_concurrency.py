"""Many concurrent calls, streaming and not: each logged exactly once with its tokens and cost."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx

from heliograph.costs.catalog import PriceCatalog
from heliograph.usage import Usage
from tests.server import HeliographProcess
from tests.store_probe import query_store

MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-nano", "claude-3-5-haiku-20241022"]


async def _call(
    client: httpx.AsyncClient, server: HeliographProcess, n: int
) -> tuple[str, str, int]:
    request_id = str(uuid.uuid4())
    model = MODELS[n % len(MODELS)]
    words = 5 + n % 17
    headers = {
        **server.auth,
        "Helicone-Request-Id": request_id,
        "x-fake-behaviour": f"words={words}",
    }
    stream = n % 2 == 0
    if model.startswith("claude"):
        path = "/anthropic/v1/messages"
        body = {
            "model": model,
            "max_tokens": 50,
            "stream": stream,
            "messages": [{"role": "user", "content": f"q{n}"}],
        }
    else:
        path = "/openai/v1/chat/completions"
        body = {
            "model": model,
            "stream": stream,
            "messages": [{"role": "user", "content": f"q{n}"}],
        }
    response = await client.post(server.url + path, headers=headers, json=body)
    assert response.status_code == 200, response.text
    return request_id, model, words


def test_hundred_concurrent_mixed_calls(start_server: Callable[..., HeliographProcess]):
    server = start_server()

    async def burst() -> list[tuple[str, str, int]]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            return await asyncio.gather(*(_call(client, server, n) for n in range(100)))

    calls = asyncio.run(burst())
    server.wait_for_request(calls[-1][0])
    server.stop()  # a clean stop flushes everything still batched

    rows = query_store(
        server.data_dir,
        "SELECT toString(request_id) AS id, count() AS n, any(model) AS model, "
        "any(prompt_tokens) AS p, any(completion_tokens) AS c, any(cost) AS cost, "
        "any(provider) AS provider "
        "FROM heliograph.request_response_rmt GROUP BY request_id",
    )
    by_id = {row["id"]: row for row in rows}
    catalog = PriceCatalog.load_default()
    assert len(by_id) == 100
    for request_id, model, words in calls:
        row = by_id[request_id]
        assert int(row["n"]) == 1
        assert row["model"] == model
        assert int(row["c"]) == words
        prompt = len(f"q{calls.index((request_id, model, words))}") // 4 + 1
        assert int(row["p"]) == prompt
        expected = catalog.cost_nano_usd(
            row["provider"], model, Usage(prompt_tokens=prompt, completion_tokens=words)
        )
        assert expected and int(row["cost"]) == expected

"""Many chat calls at once through the passthrough proxy, spread over servers in turn."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import httpx

from tests.server import HeliographProcess

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}


def statuses_of_concurrent_calls(
    servers: Sequence[HeliographProcess], count: int, headers: dict[str, str]
) -> Counter[int]:
    """How many of `count` calls sent at once (the i-th to servers[i % len]) got each status."""

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        servers[i % len(servers)].url + "/openai/v1/chat/completions",
                        headers={**servers[i % len(servers)].auth, **headers},
                        json=BODY,
                    )
                    for i in range(count)
                )
            )

    return Counter(answer.status_code for answer in asyncio.run(send_all()))

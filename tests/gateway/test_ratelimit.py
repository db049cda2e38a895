"""Custom rate limits, with the in-process limiter and with Redis shared by two processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis

from heliograph.errors import InvalidRequestError
from heliograph.gateway.ratelimit import MemoryRateLimiter, RedisRateLimiter, parse_policy
from heliograph.mock_provider import FakeProvider
from tests.concurrent_calls import statuses_of_concurrent_calls
from tests.gateway.conftest import serve_on_backend
from tests.server import HeliographProcess

REDIS_URL = "redis://127.0.0.1:6379/14"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "rate limited?"}]}


@pytest.fixture(scope="module", params=["memory", "redis"])
def limited(
    request: pytest.FixtureRequest,
    fake_provider: FakeProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HeliographProcess]:
    data_dir = tmp_path_factory.mktemp(f"rl-{request.param}") / "data"
    yield from serve_on_backend(request.param, fake_provider, data_dir, REDIS_URL)


def call(server: HeliographProcess, policy: str, **headers: str) -> httpx.Response:
    return httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-RateLimit-Policy": policy, **headers},
        json=BODY,
    )


def test_request_quota_per_organization(limited: HeliographProcess):
    segment = f"s={uuid.uuid4().hex}"  # a fresh property segment: a fresh window
    responses = [call(limited, f"3;w=60;{segment}") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["helicone-ratelimit-remaining"] for r in responses] == ["2", "1", "0", "0"]
    refused = responses[-1]
    assert refused.headers["helicone-ratelimit-limit"] == "3"
    assert refused.headers["helicone-ratelimit-policy"] == f"3;w=60;u=request;{segment}"
    assert refused.json()["error"]["type"] == "rate_limit_error"
    row = limited.wait_for_request(refused.headers["helicone-id"])
    assert row["response_status"] == 429 and row["cost"] == 0


def test_segments_by_user_and_by_property(limited: HeliographProcess):
    alice, bob = f"alice-{uuid.uuid4()}", f"bob-{uuid.uuid4()}"
    policy = "1;w=60;s=user"
    assert call(limited, policy, **{"Helicone-User-Id": alice}).status_code == 200
    assert call(limited, policy, **{"Helicone-User-Id": alice}).status_code == 429
    assert call(limited, policy, **{"Helicone-User-Id": bob}).status_code == 200
    org = uuid.uuid4().hex
    by_org = "1;w=60;s=organization"
    assert call(limited, by_org, **{"Helicone-Property-Organization": org}).status_code == 200
    assert call(limited, by_org, **{"helicone-property-organization": org}).status_code == 429
    assert call(limited, by_org, **{"Helicone-Property-Organization": org + "x"}).status_code == 200


def test_cents_are_checked_before_and_charged_after(limited: HeliographProcess):
    user = str(uuid.uuid4())
    expensive = {"Helicone-User-Id": user, "x-fake-behaviour": "words=1200"}
    first = httpx.post(
        limited.url + "/openai/v1/chat/completions",
        headers={**limited.auth, "Helicone-RateLimit-Policy": "1;w=60;u=cents;s=user", **expensive},
        json={**BODY, "model": "gpt-4o"},
    )
    assert first.status_code == 200  # nothing spent yet: admitted, then charged ~1.2 cents
    second = call(limited, "1;w=60;u=cents;s=user", **{"Helicone-User-Id": user})
    assert second.status_code == 429 and second.headers["helicone-ratelimit-remaining"] == "0"


@pytest.mark.parametrize(
    ("path", "stream"),
    [
        ("/openai/v1/chat/completions", True),
        ("/v1/chat/completions", False),
        ("/v1/chat/completions", True),
    ],
)
def test_cents_are_charged_for_streams_and_on_the_gateway_route(
    gateway: HeliographProcess, path: str, stream: bool
):
    # Any cost at all spends a millionth of a cent: the second call is refused only if the
    # first one's row handed its cost to the limiter.
    headers = {
        **gateway.auth,
        "Helicone-RateLimit-Policy": "0.000001;w=60;u=cents;s=user",
        "Helicone-User-Id": str(uuid.uuid4()),
    }
    body = {**BODY, "stream": stream}
    first = httpx.post(gateway.url + path, headers=headers, json=body)
    assert first.status_code == 200
    second = httpx.post(gateway.url + path, headers=headers, json=body)
    assert second.status_code == 429


def test_other_spelling_and_gateway_route(limited: HeliographProcess):
    segment = f"s={uuid.uuid4().hex}"
    response = httpx.post(
        limited.url + "/openai/v1/chat/completions",
        headers={**limited.auth, "Helicone-Rate-Limit-Policy": f"5;w=60;{segment}"},
        json=BODY,
    )
    assert response.headers["helicone-ratelimit-remaining"] == "4"


@pytest.mark.parametrize(
    "policy", ["abc", "10;w=30", "0;w=60", "-1;w=60", "10;w=60;u=tokens", "10", "10;w=60;x=1"]
)
def test_malformed_policies_are_400(limited: HeliographProcess, policy: str):
    response = call(limited, policy)
    assert response.status_code == 400
    assert "[quota];w=[window seconds, at least 60]" in response.json()["error"]["message"]


def test_parse_policy():
    assert parse_policy("1000;w=3600;u=cents;s=user").header() == "1000;w=3600;u=cents;s=user"
    assert parse_policy("10;w=60").segment is None
    with pytest.raises(InvalidRequestError):
        parse_policy("10;w=60;w=61")
    for not_a_number in ("10;w=6\u00b2", "1\u00b2;w=60"):  # "²" is a digit to str.isdigit
        with pytest.raises(InvalidRequestError):
            parse_policy(not_a_number)


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_sliding_window_is_exact_at_the_edges(monkeypatch: pytest.MonkeyPatch, backend: str):
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])

    async def scenario() -> list[bool]:
        if backend == "redis":
            redis.Redis.from_url(REDIS_URL).flushdb()
            limiter: MemoryRateLimiter | RedisRateLimiter = RedisRateLimiter(REDIS_URL, False)
        else:
            limiter = MemoryRateLimiter()
        results = []
        for offset in (0.0, 30.0, 59.9):  # three calls inside one 60 s window, quota 2
            now[0] = 1_000_000.0 + offset
            results.append((await limiter.admit("k", 2, 60, 1))[0])
        now[0] = 1_000_060.0  # the first call leaves the window exactly now
        results.append((await limiter.admit("k", 2, 60, 1))[0])
        now[0] = 1_000_060.5
        results.append((await limiter.admit("k", 2, 60, 1))[0])
        await limiter.close()
        return results

    assert asyncio.run(scenario()) == [True, True, False, True, False]


def test_two_processes_sharing_redis_admit_exactly_the_quota(start_server, postgres_database: str):
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {"HELIOGRAPH_REDIS_URL": REDIS_URL, "HELIOGRAPH_DATABASE_URL": postgres_database}
    servers = [start_server(env=env)]
    servers.append(start_server(env=env))  # started second: finds the first one's organization
    policy = {"Helicone-RateLimit-Policy": f"20;w=60;s={uuid.uuid4().hex}"}
    assert statuses_of_concurrent_calls(servers, 60, policy) == {200: 20, 429: 40}


def test_redis_down_fails_open_by_default_and_closed_when_asked(start_server):
    open_server = start_server(env={"HELIOGRAPH_REDIS_URL": "redis://127.0.0.1:9/0"})
    assert call(open_server, "1;w=60").status_code == 200
    assert call(open_server, "1;w=60").status_code == 200
    closed = start_server(
        env={"HELIOGRAPH_REDIS_URL": "redis://127.0.0.1:9/0", "HELIOGRAPH_RATELIMIT_FAIL": "closed"}
    )
    assert call(closed, "1;w=60").status_code == 429

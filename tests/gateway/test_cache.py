"""Response caching on the passthrough routes, with the in-process store and with Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis

from heliograph.mock_provider import FakeProvider
from tests.gateway.conftest import serve_on_backend
from tests.server import HeliographProcess

REDIS_URL = "redis://127.0.0.1:6379/15"
CACHE = {"Helicone-Cache-Enabled": "true"}


@pytest.fixture(scope="module", params=["memory", "redis"])
def cached_server(
    request: pytest.FixtureRequest,
    fake_provider: FakeProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HeliographProcess]:
    data_dir = tmp_path_factory.mktemp(f"cache-{request.param}") / "data"
    yield from serve_on_backend(request.param, fake_provider, data_dir, REDIS_URL)


def body(tag: str, **extra: object) -> dict[str, object]:
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": f"cache test {tag}"}],
        **extra,
    }


def post(server: HeliographProcess, payload: dict[str, object], **headers: str) -> httpx.Response:
    return httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, **CACHE, **headers},
        json=payload,
    )


def upstream_count(fake: FakeProvider, tag: str) -> int:
    return sum(1 for call in fake.calls if f"cache test {tag}".encode() in call.body)


def test_second_identical_call_is_a_hit(
    cached_server: HeliographProcess, fake_provider: FakeProvider
):
    tag = str(uuid.uuid4())
    first = post(cached_server, body(tag))
    second = post(cached_server, body(tag))
    assert first.headers["helicone-cache"] == "MISS"
    assert second.headers["helicone-cache"] == "HIT"
    assert second.headers["helicone-cache-bucket-idx"] == "0"
    assert second.content == first.content
    assert upstream_count(fake_provider, tag) == 1
    miss_row = cached_server.wait_for_request(first.headers["helicone-id"])
    hit_row = cached_server.wait_for_request(second.headers["helicone-id"])
    assert miss_row["cost"] > 0 and miss_row["cache_enabled"] is True
    assert hit_row["cache_reference_id"] == first.headers["helicone-id"]
    assert hit_row["cost"] == 0 and hit_row["completion_tokens"] == miss_row["completion_tokens"]
    with cached_server.api() as api:
        hits = api.post(
            "/v1/request/query-clickhouse",
            json={"filter": {"request_response_rmt": {"cached": {"equals": True}}}, "limit": 1000},
        ).json()["data"]
    assert second.headers["helicone-id"] in {row["request_id"] for row in hits}


def test_stream_replays_with_the_original_chunks(
    cached_server: HeliographProcess, fake_provider: FakeProvider
):
    tag = str(uuid.uuid4())

    def stream() -> tuple[list[bytes], httpx.Headers]:
        with httpx.stream(
            "POST",
            cached_server.url + "/openai/v1/chat/completions",
            headers={**cached_server.auth, **CACHE, "x-fake-behaviour": "chunks=6"},
            json=body(tag, stream=True),
        ) as response:
            return list(response.iter_raw()), response.headers

    original, first_headers = stream()
    replayed, headers = stream()
    assert first_headers["helicone-cache"] == "MISS" and headers["helicone-cache"] == "HIT"
    assert b"".join(replayed) == b"".join(original)
    assert b"".join(replayed).rstrip().endswith(b"data: [DONE]")
    assert upstream_count(fake_provider, tag) == 1


def test_bucket_fills_then_serves_at_random(
    cached_server: HeliographProcess, fake_provider: FakeProvider
):
    tag = str(uuid.uuid4())
    size = {"Helicone-Cache-Bucket-Max-Size": "3"}
    filled = [post(cached_server, body(tag), **size) for _ in range(3)]
    assert [r.headers["helicone-cache"] for r in filled] == ["MISS"] * 3
    ids = {r.json()["id"] for r in filled}
    assert len(ids) == 3
    served = [post(cached_server, body(tag), **size) for _ in range(30)]
    assert all(r.headers["helicone-cache"] == "HIT" for r in served)
    assert {r.json()["id"] for r in served} == ids  # every stored answer comes back
    assert {r.headers["helicone-cache-bucket-idx"] for r in served} == {"0", "1", "2"}
    assert upstream_count(fake_provider, tag) == 3


def test_ignore_keys_and_seed(cached_server: HeliographProcess):
    tag = str(uuid.uuid4())
    ignore = {"Helicone-Cache-Ignore-Keys": "prompt_cache_key,metadata.trace"}
    post(
        cached_server, body(tag, prompt_cache_key="a", metadata={"trace": "1", "k": "v"}), **ignore
    )
    same = post(
        cached_server, body(tag, prompt_cache_key="b", metadata={"trace": "2", "k": "v"}), **ignore
    )
    assert same.headers["helicone-cache"] == "HIT"
    other = post(
        cached_server, body(tag, prompt_cache_key="b", metadata={"trace": "2", "k": "w"}), **ignore
    )
    assert other.headers["helicone-cache"] == "MISS"
    seeded = post(
        cached_server,
        body(tag, prompt_cache_key="a", metadata={"trace": "1", "k": "v"}),
        **ignore,
        **{"Helicone-Cache-Seed": "user-123"},
    )
    assert seeded.headers["helicone-cache"] == "MISS"


def test_errors_are_not_cached(cached_server: HeliographProcess, fake_provider: FakeProvider):
    tag = str(uuid.uuid4())
    for _ in range(2):
        response = post(cached_server, body(tag), **{"x-fake-behaviour": "status=429"})
        assert response.status_code == 429 and response.headers["helicone-cache"] == "MISS"
    assert upstream_count(fake_provider, tag) == 2


def test_ttl_expiry(cached_server: HeliographProcess):
    tag = str(uuid.uuid4())
    post(cached_server, body(tag), **{"Cache-Control": "max-age=1"})
    assert (
        post(cached_server, body(tag), **{"Cache-Control": "max-age=1"}).headers["helicone-cache"]
        == "HIT"
    )
    time.sleep(2.1)
    assert (
        post(cached_server, body(tag), **{"Cache-Control": "max-age=1"}).headers["helicone-cache"]
        == "MISS"
    )


def test_bad_cache_headers(cached_server: HeliographProcess):
    bad = post(cached_server, body("bad"), **{"Helicone-Cache-Bucket-Max-Size": "21"})
    assert bad.status_code == 400 and "1 to 20" in bad.json()["error"]["message"]
    superscript = httpx.post(  # the latin-1 byte for "²", which str.isdigit takes for a digit
        cached_server.url + "/openai/v1/chat/completions",
        headers=[
            *cached_server.auth.items(),
            *CACHE.items(),
            (b"Helicone-Cache-Bucket-Max-Size", b"\xb2"),
        ],
        json=body("bad"),
    )
    assert superscript.status_code == 400 and "1 to 20" in superscript.json()["error"]["message"]
    long = post(cached_server, body(str(uuid.uuid4())), **{"Cache-Control": "max-age=99999999999"})
    assert long.status_code == 200 and "clamped" in long.headers["helicone-warning"]


def test_redis_down_means_no_cache_not_failure(start_server, fake_provider: FakeProvider):
    server = start_server(env={"HELIOGRAPH_REDIS_URL": "redis://127.0.0.1:9/0"})
    tag = str(uuid.uuid4())
    responses = [post(server, body(tag)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.headers["helicone-cache"] == "MISS" for r in responses)
    assert server.log().count("Redis cache unavailable") == 1  # warned once, not per request


def test_gateway_route_caches_too(gateway: HeliographProcess, fake_provider: FakeProvider):
    tag = str(uuid.uuid4())
    calls = [
        httpx.post(
            gateway.url + "/v1/chat/completions",
            headers={"Authorization": f"Bearer {gateway.api_key}", **CACHE},
            json=body(tag),
        )
        for _ in range(2)
    ]
    assert [c.headers["helicone-cache"] for c in calls] == ["MISS", "HIT"]
    assert calls[0].content == calls[1].content
    assert upstream_count(fake_provider, tag) == 1
    row = gateway.wait_for_request(calls[1].headers["helicone-id"])
    assert row["provider"] == "OPENAI" and row["cost"] == 0
    assert row["cache_reference_id"] == calls[0].headers["helicone-id"]


def test_clearing_the_cache(cached_server: HeliographProcess):
    tag = str(uuid.uuid4())
    post(cached_server, body(tag))
    assert post(cached_server, body(tag)).headers["helicone-cache"] == "HIT"
    with cached_server.api() as api:
        cleared = api.delete("/v1/cache")
    assert cleared.status_code == 200 and cleared.json()["data"]["cleared"] >= 1
    assert post(cached_server, body(tag)).headers["helicone-cache"] == "MISS"


def test_cache_metrics_and_rate_limit_log_tables(start_server):
    from tests.store_probe import query_store

    server = start_server()
    tag = str(uuid.uuid4())
    first = post(server, body(tag), **{"x-fake-behaviour": "words=50"})
    hits = [post(server, body(tag)) for _ in range(3)]
    limited = [
        httpx.post(
            server.url + "/openai/v1/chat/completions",
            headers={
                **server.auth,
                "Helicone-RateLimit-Policy": "1;w=60;s=user",
                "Helicone-User-Id": "u1",
            },
            json=body("rl"),
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in limited] == [200, 429]
    for response in [first, *hits, *limited]:
        server.wait_for_request(response.headers["helicone-id"])
    original_cost = server.wait_for_request(first.headers["helicone-id"])["cost"]
    with server.api() as api:
        # Changing a logged hit or a rate-limited call writes new row versions: not new calls.
        for changed in (hits[0], limited[1]):
            request_id = changed.headers["helicone-id"]
            update = {"key": "reviewed", "value": "yes"}
            assert api.put(f"/v1/request/{request_id}/property", json=update).status_code == 200
            feedback = {"rating": True}
            assert api.post(f"/v1/request/{request_id}/feedback", json=feedback).status_code == 200
        summary = api.get("/v1/cache/metrics").json()["data"]
    assert summary["hits"] == 3 and summary["cache_enabled_requests"] == 4
    assert summary["hit_rate"] == 0.75
    assert summary["saved_cost_usd"] == pytest.approx(3 * original_cost)
    server.stop()
    metrics = query_store(
        server.data_dir,
        "SELECT toString(request_id) AS id, sum(cache_hit_count) AS hits, "
        "sum(saved_cost) AS saved, sum(saved_completion_tokens) AS tokens "
        "FROM heliograph.cache_metrics GROUP BY request_id",
    )
    assert len(metrics) == 1 and metrics[0]["id"] == first.headers["helicone-id"]
    assert int(metrics[0]["hits"]) == 3 and int(metrics[0]["tokens"]) == 3 * 50
    assert int(metrics[0]["saved"]) == round(3 * original_cost * 1e9)
    logged = query_store(
        server.data_dir, "SELECT toString(request_id) AS id, user_id FROM heliograph.rate_limit_log"
    )
    assert logged == [{"id": limited[1].headers["helicone-id"], "user_id": "u1"}]


def test_redis_killed_and_restarted_mid_run(start_server, tmp_path):
    import shutil
    import subprocess

    from tests.server import free_port

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not on PATH: this test needs its own Redis to kill")
    port = free_port()

    def start_redis() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                redis_server,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    redis_process = start_redis()
    try:
        server = start_server(env={"HELIOGRAPH_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
        tag = str(uuid.uuid4())
        policy = {"Helicone-RateLimit-Policy": "100;w=60"}
        assert post(server, body(tag), **policy).headers["helicone-cache"] == "MISS"
        assert post(server, body(tag), **policy).headers["helicone-cache"] == "HIT"
        redis_process.kill()
        redis_process.wait()
        while_down = [post(server, body(tag), **policy) for _ in range(3)]
        assert [r.status_code for r in while_down] == [200, 200, 200]
        assert {r.headers["helicone-cache"] for r in while_down} == {"MISS"}
        redis_process = start_redis()  # empty again: it keeps nothing on disk
        assert post(server, body(tag), **policy).headers["helicone-cache"] == "MISS"
        after = post(server, body(tag), **policy)
        assert after.headers["helicone-cache"] == "HIT"
        assert after.headers["helicone-ratelimit-remaining"] == "98"
    finally:
        redis_process.kill()
        redis_process.wait()

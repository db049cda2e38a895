"""Helicone's model and provider routes: the multimodal list and the model registry (from the
price catalog, no key), the providers of the caller's requests and their status (its own
traffic only)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from heliograph.gateway.model_modalities import is_multimodal
from tests.api.test_metrics import Traffic, send_traffic
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


@pytest.fixture(scope="module")
def traffic(server: InProcessServer) -> Traffic:
    return send_traffic(server, server.create_key(f"registry-{uuid.uuid4()}"))


def models_list(server: InProcessServer) -> list[dict[str, Any]]:
    response = server.request("GET", "/v1/models")
    assert response.status_code == 200
    return list(response.json()["data"])


def test_multimodal_models_are_those_of_the_registry_taking_or_giving_more_than_text(
    server: InProcessServer,
):
    response = server.request("GET", "/v1/models/multimodal")  # no key, as in Helicone
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    listed = {m["id"]: m for m in models_list(server)}
    assert [m["id"] for m in body["data"]] == sorted(i for i in listed if is_multimodal(i))
    ids = {m["id"] for m in body["data"]}
    assert "gpt-4o" in ids and any(i.startswith("claude-3") for i in ids)
    assert "gpt-3.5-turbo" not in {m["id"] for m in body["data"]}
    for model in body["data"]:
        assert model["owned_by"] == listed[model["id"]]["owned_by"]


def test_the_registry_prices_per_million_tokens(server: InProcessServer):
    response = server.request("GET", "/v1/public/model-registry/models")
    assert response.status_code == 200 and response.json()["error"] is None
    registry = response.json()["data"]
    listed = {m["id"]: m for m in models_list(server)}
    assert [m["id"] for m in registry["models"]] == sorted(listed) and registry["total"] == len(
        listed
    )
    for model in registry["models"]:
        prices = {p["provider"]: p for p in listed[model["id"]]["pricing"]}
        assert [e["provider"] for e in model["endpoints"]] == list(prices)
        for endpoint in model["endpoints"]:
            price = prices[endpoint["provider"]]
            assert endpoint["pricing"]["prompt"] == pytest.approx(price["prompt"] * 1e6)
            assert endpoint["pricing"]["completion"] == pytest.approx(price["completion"] * 1e6)
            if price["cache_read"] is not None:
                assert endpoint["pricing"]["cacheRead"] == pytest.approx(price["cache_read"] * 1e6)
        assert model["contextLength"] == (listed[model["id"]]["context_length"] or 0)
    gpt4o = next(m for m in registry["models"] if m["id"] == "gpt-4o")
    assert (gpt4o["inputModalities"], gpt4o["outputModalities"]) == (["text", "image"], ["text"])
    assert {"name": "openai", "displayName": "OpenAI"} in registry["filters"]["providers"]
    providers = {p["name"] for p in registry["filters"]["providers"]}
    assert providers == {e["provider"] for m in registry["models"] for e in m["endpoints"]}
    assert {"caching", "audio", "image"} <= set(registry["filters"]["capabilities"])
    audio = [
        e["pricing"]["audio"]
        for m in registry["models"]
        for e in m["endpoints"]
        if "audio" in e["pricing"]
    ]
    assert audio and all(set(a) <= {"input", "output"} and a for a in audio)


def test_the_registry_lists_helicones_registry_ids_with_their_prices(server: InProcessServer):
    response = server.request("GET", "/v1/public/model-registry/models")
    models = {m["id"]: m for m in response.json()["data"]["models"]}
    sonnet = models["claude-4.5-sonnet"]
    assert (sonnet["name"], sonnet["author"], sonnet["contextLength"]) == (
        "Anthropic: Claude Sonnet 4.5",
        "anthropic",
        200_000,
    )
    anthropic = next(e for e in sonnet["endpoints"] if e["provider"] == "anthropic")
    assert anthropic["pricing"] == pytest.approx(
        {"prompt": 3.0, "completion": 15.0, "cacheRead": 0.3, "cacheWrite": 3.75}
    )
    assert "claude-4.5-sonnet" in {m["id"] for m in models_list(server)}
    multimodal = server.request("GET", "/v1/models/multimodal").json()["data"]
    assert "claude-4.5-sonnet" in {m["id"] for m in multimodal}


def test_providers_of_the_callers_requests(server: InProcessServer, traffic: Traffic):
    body = traffic.window(filter="all", offset=0, limit=10)
    got = traffic.post("/v1/providers", body).json()
    counts = Counter(row["provider"] for row in traffic.rows)
    wanted = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert got == {
        "data": [{"provider": p, "total_requests": n} for p, n in wanted],
        "error": None,
    }
    assert len(wanted) == 2
    other = server.new_organization("registry-other")
    assert traffic.post("/v1/providers", body, key=other).json() == {"data": [], "error": None}


def status(traffic: Traffic, path: str, key: str | None = None) -> Any:
    with traffic.server.api(key or traffic.key) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_provider_status_from_the_callers_own_traffic(server: InProcessServer, traffic: Traffic):
    everyone = {
        entry["providerName"]: entry for entry in status(traffic, "/v1/public/status/provider")
    }
    assert {"OPENAI", "ANTHROPIC", "GROQ"} <= set(everyone)
    for name in ("OPENAI", "ANTHROPIC"):
        rows = [row for row in traffic.rows if row["provider"] == name]
        errors = sum(1 for row in rows if row["response_status"] >= 500)
        latencies = [row["delay_ms"] for row in rows if row["delay_ms"] is not None]
        for entry in (
            everyone[name],
            status(traffic, f"/v1/public/status/provider/{name.lower()}"),
        ):
            metrics = entry["metrics"]
            assert entry["providerName"] == name
            assert metrics["totalRequests"] == metrics["recentRequestCount"] == len(rows) > 0
            assert metrics["errorRate24h"] == pytest.approx(errors / len(rows) * 100)
            assert metrics["recentErrorCount"] == errors
            assert metrics["averageLatency"] == pytest.approx(sum(latencies) / len(latencies))
            assert metrics["requestCountPrevious24h"] == 0 and metrics["requestVolumeChange"] == 0
            series = metrics["timeSeriesData"]
            assert len(series) in (145, 146), "24 hours of 10-minute buckets, now's included"
            assert sum(point["requestCount"] for point in series) == len(rows)
            assert sum(point["errorCount"] for point in series) == errors
    assert everyone["OPENAI"]["metrics"]["errorRate24h"] > 0, "the traffic has a 500"
    assert everyone["GROQ"]["metrics"]["totalRequests"] == 0
    week = status(traffic, "/v1/public/status/provider/OPENAI?timeFrame=7d")
    hours = [datetime.fromisoformat(p["timestamp"]) for p in week["metrics"]["timeSeriesData"]]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(hours))
    assert hours[-1] <= datetime.now(UTC) < hours[-1] + timedelta(hours=1)


def test_status_shows_nothing_of_another_organization(server: InProcessServer, traffic: Traffic):
    assert status(traffic, "/v1/public/status/provider/OPENAI")["metrics"]["totalRequests"] > 0
    other = server.new_organization("status-other")
    for entry in status(traffic, "/v1/public/status/provider", key=other):
        assert entry["metrics"]["totalRequests"] == 0 and entry["metrics"]["timeSeriesData"] == []
    one = status(traffic, "/v1/public/status/provider/OPENAI", key=other)["metrics"]
    assert one["totalRequests"] == 0
    assert not any(p["requestCount"] for p in one["timeSeriesData"])


def test_status_needs_a_key_and_a_known_time_frame(server: InProcessServer, traffic: Traffic):
    assert server.request("GET", "/v1/public/status/provider").status_code == 401
    with server.api(traffic.key) as client:
        refused = client.get("/v1/public/status/provider/OPENAI?timeFrame=1y")
    assert refused.status_code == 400 and refused.json()["data"] is None
    unknown = status(traffic, "/v1/public/status/provider/NOPE")
    assert unknown["providerName"] == "NOPE" and unknown["metrics"]["totalRequests"] == 0

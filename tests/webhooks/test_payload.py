"""The payload bytes, JavaScript number format, and deterministic sampling."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import orjson
import pytest

from heliograph.webhooks.payload import BODY_TOO_LARGE, MAX_BODY_CHARS, build_payload, js_number
from heliograph.webhooks.rules import WebhookConfig, parse_config, sampled
from heliograph.webhooks.signing import preview, sign, verify

ROW = {
    "request_id": "7d3c6f2e-1b7a-4d8e-9c51-2f7b0f5a8e11",
    "organization_id": "0b6f5e0c-3c2d-4c1e-8e3f-5a7d9b1c2e4f",
    "request_created_at": "2025-03-01 12:00:00.125",
    "response_created_at": "2025-03-01 12:00:01.375",
    "latency": 1250,
    "status": 200,
    "model": "gpt-4o-mini",
    "provider": "OPENAI",
    "user_id": "",
    "properties": {"App": "docs", "Emoji": "🚀"},
    "prompt_tokens": 13,
    "completion_tokens": 17,
    "cost": 15_000,  # nano-USD: $0.000015
    "request_body": '{"model":"gpt-4o-mini"}',
    "response_body": '{"choices":[]}',
}


def test_full_payload_bytes():
    assert build_payload(ROW, include_data=True) == (
        b'{"request_id":"7d3c6f2e-1b7a-4d8e-9c51-2f7b0f5a8e11",'
        b'"request_body":"{\\"model\\":\\"gpt-4o-mini\\"}",'
        b'"response_body":"{\\"choices\\":[]}",'
        b'"model":"gpt-4o-mini","provider":"OPENAI","status":200,'
        b'"properties":{"App":"docs","Emoji":"\xf0\x9f\x9a\x80"},'
        b'"request_created_at":"2025-03-01T12:00:00.125Z",'
        b'"response_created_at":"2025-03-01T12:00:01.375Z",'
        b'"metadata":{"cost":0.000015,"promptTokens":13,"completionTokens":17,'
        b'"totalTokens":30,"latencyMs":1250}}'
    )
    assert build_payload(ROW, include_data=False) == (
        b'{"request_id":"7d3c6f2e-1b7a-4d8e-9c51-2f7b0f5a8e11",'
        b'"request_body":"{\\"model\\":\\"gpt-4o-mini\\"}",'
        b'"response_body":"{\\"choices\\":[]}"}'
    )


def test_missing_usage_and_user_id():
    row = {**ROW, "prompt_tokens": None, "completion_tokens": None, "cost": 0, "user_id": "u"}
    payload = orjson.loads(build_payload(row, include_data=True))
    assert payload["user_id"] == "u"
    assert payload["metadata"] == {
        "cost": 0,
        "promptTokens": 0,
        "completionTokens": 0,
        "totalTokens": 0,
        "latencyMs": 1250,
    }


def test_bodies_past_10_kb_become_a_notice():
    kept = "x" * MAX_BODY_CHARS
    cut = "y" * (MAX_BODY_CHARS + 1)
    payload = orjson.loads(
        build_payload({**ROW, "request_body": kept, "response_body": cut}, include_data=False)
    )
    assert payload["request_body"] == kept
    assert payload["response_body"] == BODY_TOO_LARGE


VALUES = [0.0, 1.5e-05, 2.5e-5, 1e-6, 1e-7, 1.5e-7, 0.1, 0.3, 1 / 3, 123.0, 100.5, 1e20, 1e21]
VALUES += [1.7976931348623157e308, 5e-324, 1234567.125, 12345678901234567890.0, 7e-10]


def test_numbers_are_written_as_javascript_writes_them():
    node = shutil.which("node")
    if node is None:
        print("node not installed: comparing with recorded JavaScript output")
        expected = ["0", "0.000015", "0.000025", "0.000001", "1e-7", "1.5e-7", "0.1", "0.3"]
        assert [js_number(v) for v in VALUES[:8]] == expected
        return
    result = subprocess.run(
        [
            node,
            "-e",
            "process.stdout.write(JSON.stringify(JSON.parse(require('fs')"
            ".readFileSync(0,'utf8')).map(String)))",
        ],
        input=json.dumps(VALUES),
        capture_output=True,
        text=True,
        check=True,
    )
    assert [js_number(v) for v in VALUES] == json.loads(result.stdout)


def test_sampling_is_deterministic_and_proportional():
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, str(n))) for n in range(10_000)]
    picked = [rid for rid in ids if sampled(rid, 30)]
    assert 2_800 < len(picked) < 3_200
    assert picked == [rid for rid in ids if sampled(rid.upper(), 30)], "same id, same decision"
    assert {rid for rid in ids if sampled(rid, 10)} <= set(picked), "lower rates nest"
    assert all(sampled(rid, 100) for rid in ids[:100])
    assert not any(sampled(rid, 0) for rid in ids[:100])


def test_property_filters_match_keys_case_insensitively_and_values_exactly():
    config = parse_config({"propertyFilters": [{"key": "environment", "value": "prod"}]})
    rid = ROW["request_id"]
    assert config.matches(rid, {"Environment": "prod"})
    assert not config.matches(rid, {"Environment": "Prod"})
    assert not config.matches(rid, {})
    assert WebhookConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("rate", [0, 0.5, 99.9, 100])
def test_fractional_rates_round_trip(rate: float):
    assert WebhookConfig.from_json(parse_config({"sampleRate": rate}).to_json()).sample_rate == rate


def test_signing_matches_hmac_sha256_hex():
    secret = "a" * 64
    body = b'{"request_id":"x"}'
    signature = sign(secret, body)
    assert len(signature) == 64 and verify(secret, body, signature)
    assert not verify(secret, body + b" ", signature)
    assert not verify("b" * 64, body, signature)
    assert preview(secret) == "aaaa...aaaa"

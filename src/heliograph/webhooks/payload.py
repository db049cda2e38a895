"""The JSON a webhook receives for one logged request, in Helicone's shape.

Always: `request_id`, `request_body`, `response_body` (each cut to a notice past 10 KB, as
Helicone does) and `user_id` when set. With `includeData`: `model`, `provider` and
`metadata` {cost (USD), promptTokens, completionTokens, totalTokens, latencyMs}, plus
Heliograph's `status`, `properties`, `request_created_at` and `response_created_at`.

Helicone's documented check re-serializes the parsed body with `JSON.stringify` before
signing it, so the body is written exactly as JavaScript would write it: compact, and the
one float (`cost`) in JavaScript's number format (0.000015, not 1.5e-05).
"""

from __future__ import annotations

import math
from typing import Any

import orjson

MAX_BODY_CHARS = 10 * 1024
BODY_TOO_LARGE = (
    "Body too large for webhook, please fetch the full request and response from Heliograph"
)
NANO_USD = 1_000_000_000
TEST_PROPERTY = "heliograph-webhook-test"
TEST_REQUEST: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "This is a test delivery from Heliograph."}],
}
TEST_RESPONSE: dict[str, Any] = {
    "object": "chat.completion",
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Received."}}],
}


def build_payload(row: dict[str, Any], include_data: bool) -> bytes:
    """The exact bytes that are sent (and signed) for a stored `request_response_rmt` row."""
    payload: dict[str, Any] = {
        "request_id": row.get("request_id"),
        "request_body": _truncated(row.get("request_body")),
        "response_body": _truncated(row.get("response_body")),
    }
    if row.get("user_id"):
        payload["user_id"] = row["user_id"]
    if not include_data:
        return orjson.dumps(payload)
    prompt = _int(row.get("prompt_tokens"))
    completion = _int(row.get("completion_tokens"))
    payload["model"] = row.get("model") or ""
    payload["provider"] = row.get("provider") or ""
    payload["status"] = _int(row.get("status"))
    payload["properties"] = row.get("properties") or {}
    payload["request_created_at"] = _iso(row.get("request_created_at"))
    payload["response_created_at"] = _iso(row.get("response_created_at"))
    metadata = (
        b'{"cost":'
        + js_number(_int(row.get("cost")) / NANO_USD).encode()
        + orjson.dumps(
            {
                "promptTokens": prompt,
                "completionTokens": completion,
                "totalTokens": prompt + completion,
                "latencyMs": _int(row.get("latency")),
            }
        ).replace(b"{", b",", 1)
    )
    return orjson.dumps(payload)[:-1] + b',"metadata":' + metadata + b"}"


def sample_payload(request_id: str, include_data: bool) -> bytes:
    """What a webhook's test delivery sends: a made-up request in the same shape as a real
    one, marked by the `heliograph-webhook-test` property (sent when includeData is on)."""
    row = {
        "request_id": request_id,
        "request_body": orjson.dumps(TEST_REQUEST).decode(),
        "response_body": orjson.dumps(TEST_RESPONSE).decode(),
        "model": TEST_REQUEST["model"],
        "provider": "OPENAI",
        "status": 200,
        "properties": {TEST_PROPERTY: "true"},
        "prompt_tokens": 9,
        "completion_tokens": 3,
    }
    return build_payload(row, include_data)


def js_number(value: float) -> str:
    """`value` as JavaScript's Number#toString writes it (both use the shortest digits)."""
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    fraction = "" if fraction == "0" else fraction
    digits = (whole + fraction).lstrip("0")
    # value = 0.<digits> * 10**point
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        head = digits[0] + ("." + digits[1:] if count > 1 else "")
        text = f"{head}e{'+' if power > 0 else '-'}{abs(power)}"
    return sign + text


def _truncated(body: Any) -> str:
    text = body if isinstance(body, str) else ("" if body is None else orjson.dumps(body).decode())
    return BODY_TOO_LARGE if len(text) > MAX_BODY_CHARS else text


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _iso(stamp: Any) -> str | None:
    """ClickHouse's `YYYY-MM-DD HH:MM:SS.mmm` (UTC) as ISO 8601 with a `Z`."""
    if not isinstance(stamp, str) or len(stamp) < 19:
        return None
    return stamp.replace(" ", "T", 1) + "Z"

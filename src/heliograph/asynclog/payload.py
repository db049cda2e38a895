"""Reading and checking Helicone's async-log body (`HeliconeAsyncLogRequest`).

The body the manual loggers and LiteLLM's callback post to `/custom/v1/log`, `/oai/v1/log`
and `/anthropic/v1/log`:

    {"providerRequest": {"url", "json", "meta"},
     "providerResponse": {"json"?, "textBody"?, "status", "headers", "cost"?, "usage"?},
     "timing"?: {"startTime": {"seconds", "milliseconds"}, "endTime": {...},
                 "timeToFirstToken"?: ms},
     "provider"?: "OPENAI" | ...}

`cost` (USD) and `usage` (token counts, Heliograph's names: `prompt_tokens`,
`completion_tokens`, `cache_read_tokens`, ...) are Heliograph's additions for a caller that
knows what the call cost and used better than the response body says (`heliograph import`).

A time may also be a string, as Jawn's trace endpoints take it: digits are Unix seconds
(milliseconds from 4102444800 on), anything else an ISO 8601 date.

Every problem is a 400 naming the field, e.g. `timing.startTime.seconds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.usage import Usage

# ClickHouse's DateTime64 goes further, but no real call is logged after 2100.
MAX_EPOCH_S = 4_102_444_800
MAX_STATUS = 2**31 - 1


@dataclass(frozen=True, slots=True)
class AsyncLog:
    """One checked async-log body."""

    url: str
    request_json: Any
    meta: dict[str, str]
    response_json: Any  # None when the body had none
    text_body: str | None
    status: int
    started_at: float  # epoch seconds
    ended_at: float
    ttft_ms: float | None
    cost_usd: float | None  # `providerResponse.cost`, when the caller priced the call itself
    provider: str | None  # the typed custom log's `provider`, upper-cased
    usage: Usage | None = None  # `providerResponse.usage`: counts given, not read from the body


class InvalidAsyncLog(InvalidRequestError):
    """A bad async-log body: a 400 naming the field (its message), which it also keeps."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"Invalid async log: '{field}' {problem}")
        self.field = field
        self.problem = problem


def invalid(field: str, problem: str) -> InvalidAsyncLog:
    return InvalidAsyncLog(field, problem)


def parse_async_log(body: Any, now: float) -> AsyncLog:
    """Check a parsed JSON body; `now` stands in for a missing `timing`, as Helicone does."""
    root = _object(body, "body")
    request = _object(root.get("providerRequest"), "providerRequest")
    response = _object(root.get("providerResponse"), "providerResponse")
    url = request.get("url", "")
    if not isinstance(url, str):
        raise invalid("providerRequest.url", "must be a string")
    if "json" not in request:
        raise invalid("providerRequest.json", "is required")
    meta = request.get("meta")
    text_body = response.get("textBody")
    if text_body is not None and not isinstance(text_body, str):
        raise invalid("providerResponse.textBody", "must be a string")
    if response.get("json") is None and not text_body:
        raise invalid("providerResponse.json", "is required (or give 'providerResponse.textBody')")
    headers = response.get("headers")
    if headers is not None and not isinstance(headers, dict):
        raise invalid("providerResponse.headers", "must be an object")
    started, ended, ttft = _timing(root.get("timing"), now)
    return AsyncLog(
        url=url,
        request_json=request["json"],
        meta=meta_headers(meta),
        response_json=response.get("json"),
        text_body=text_body,
        status=_status(response.get("status")),
        started_at=started,
        ended_at=ended,
        ttft_ms=ttft,
        cost_usd=_cost(response.get("cost")),
        provider=_provider(root.get("provider")),
        usage=_usage(response.get("usage")),
    )


def meta_headers(meta: Any) -> dict[str, str]:
    """`providerRequest.meta` as header values; non-string values become their JSON text."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise invalid("providerRequest.meta", "must be an object")
    headers = {}
    for name, value in meta.items():
        if value is None:
            continue
        if isinstance(value, str):
            headers[name] = value
        else:  # like JavaScript's `new Headers(meta)`, which stringifies values
            headers[name] = orjson.dumps(value).decode()
    return headers


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        problem = "is required" if value is None else "must be an object"
        raise invalid(field, problem)
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problem = "is required" if value is None else "must be a number"
        raise invalid(field, problem)
    if not math.isfinite(value):
        raise invalid(field, "must be a finite number")
    return float(value)


def _status(value: Any) -> int:
    number = _number(value, "providerResponse.status")
    if not number.is_integer() or abs(number) > MAX_STATUS:
        raise invalid("providerResponse.status", "must be an integer HTTP status")
    return int(number)


def _instant(value: Any, field: str) -> float:
    if isinstance(value, str):
        epoch = _text_instant(value, field)
    else:
        instant = _object(value, field)
        seconds = _number(instant.get("seconds"), f"{field}.seconds")
        millis = _number(instant.get("milliseconds"), f"{field}.milliseconds")
        epoch = seconds + millis / 1000
    if not 0 <= epoch < MAX_EPOCH_S:
        raise invalid(field, "must be a Unix time between 1970 and 2100")
    return epoch


def _text_instant(text: str, field: str) -> float:
    """Jawn's reading of a time given as text: Unix seconds, or milliseconds past 2100's
    seconds, when all digits; else an ISO 8601 date (UTC unless it says otherwise)."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 20:
        number = int(text)
        return number if number < MAX_EPOCH_S else number / 1000
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problem = "must be {seconds, milliseconds}, Unix seconds or an ISO 8601 date"
        raise invalid(field, problem) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _timing(value: Any, now: float) -> tuple[float, float, float | None]:
    if value is None:
        return now, now, None
    timing = _object(value, "timing")
    started = _instant(timing.get("startTime"), "timing.startTime")
    ended = _instant(timing.get("endTime"), "timing.endTime")
    if started > ended:
        raise invalid("timing.startTime", "cannot be after 'timing.endTime'")
    ttft = timing.get("timeToFirstToken")
    if ttft is not None:
        ttft = _number(ttft, "timing.timeToFirstToken")
        if ttft < 0:
            raise invalid("timing.timeToFirstToken", "cannot be negative")
    return started, ended, ttft


def _cost(value: Any) -> float | None:
    if value is None:
        return None
    cost = _number(value, "providerResponse.cost")
    if cost < 0:
        raise invalid("providerResponse.cost", "cannot be negative")
    return cost


USAGE_FIELDS = tuple(Usage.__dataclass_fields__)


def _usage(value: Any) -> Usage | None:
    if value is None:
        return None
    given = _object(value, "providerResponse.usage")
    counts = {}
    for name in USAGE_FIELDS:
        if given.get(name) is None:
            continue
        field = f"providerResponse.usage.{name}"
        count = _number(given[name], field)
        if not count.is_integer() or count < 0:
            raise invalid(field, "must be a non-negative integer")
        counts[name] = int(count)
    unknown = sorted(set(given) - set(USAGE_FIELDS))
    if unknown:
        raise invalid(f"providerResponse.usage.{unknown[0]}", f"is not one of {USAGE_FIELDS}")
    return Usage(**counts)


def _provider(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("provider", "must be a string")
    return value.upper()

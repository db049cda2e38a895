"""One imported call, whatever file it came from, and the async-log body it is logged as.

Every format's reader (import_request_rows.py, import_litellm.py) turns a record into an
ImportedCall; `async_log_document` turns that into Helicone's async-log body
(`POST /custom/v1/log`), so an imported call is stored by the same code as any async log:
the ids, times, model, provider, user and properties as Helicone-* meta entries, the cost
and token counts the source gives as `providerResponse.cost` and `.usage`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.usage import Usage

# Source ids that are not UUIDs (LiteLLM's `chatcmpl-...`) become a UUID derived from the
# id, the same on every import of the file, so that a second import finds the first's rows.
IMPORTED_ID_NAMESPACE = uuid.UUID("6f1d6c3e-2b7a-4d0e-9a51-3c8e2f4b7d10")


class BadRecord(InvalidRequestError):
    """A record that cannot be imported: what is wrong with it, in one line."""


@dataclass(frozen=True, slots=True)
class ImportedCall:
    request_id: str  # a UUID, lower case
    started_at: float  # epoch seconds
    ended_at: float
    model: str
    provider: str | None
    target_url: str = ""
    status: int = 200
    request_body: Any = None
    response_body: Any = None
    time_to_first_token_ms: float | None = None
    user_id: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    cost_usd: float | None = None
    usage: Usage | None = None


def async_log_document(call: ImportedCall) -> dict[str, Any]:
    """The call as Helicone's async-log body, with Heliograph's given `usage`."""
    meta = {"Helicone-Request-Id": call.request_id}
    if call.model:
        meta["Helicone-Model-Override"] = call.model
    if call.user_id:
        meta["Helicone-User-Id"] = call.user_id
    for name, value in call.properties.items():
        meta[f"Helicone-Property-{name}"] = value
    response: dict[str, Any] = {"status": call.status, "headers": {}}
    if isinstance(call.response_body, str) and call.response_body:
        response["textBody"] = call.response_body
    else:
        response["json"] = call.response_body if call.response_body is not None else {}
    if call.cost_usd is not None:
        response["cost"] = call.cost_usd
    if call.usage is not None:
        response["usage"] = {name: getattr(call.usage, name) for name in Usage.__dataclass_fields__}
    timing: dict[str, Any] = {"startTime": _instant(call.started_at)}
    timing["endTime"] = _instant(call.ended_at)
    if call.time_to_first_token_ms is not None:
        timing["timeToFirstToken"] = call.time_to_first_token_ms
    document: dict[str, Any] = {
        "providerRequest": {
            "url": call.target_url,
            "json": call.request_body if call.request_body is not None else {},
            "meta": meta,
        },
        "providerResponse": response,
        "timing": timing,
    }
    if call.provider:
        document["provider"] = call.provider
    return document


def _instant(epoch_s: float) -> dict[str, float]:
    # To the microsecond: a fraction of a millisecond can matter (import_request_rows.py).
    seconds = math.floor(epoch_s)
    return {"seconds": seconds, "milliseconds": round((epoch_s - seconds) * 1000, 3)}


def request_uuid(value: Any, source: str) -> tuple[str, bool]:
    """The request id as a UUID, and whether it was one already (else derived from it)."""
    text = text_of(value)
    if not text:
        raise BadRecord("no request id")
    try:
        return str(uuid.UUID(text)), True
    except ValueError:
        return str(uuid.uuid5(IMPORTED_ID_NAMESPACE, f"{source}:{text}")), False


def text_of(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def number(value: Any, name: str) -> float | None:
    """A number, from JSON or from a CSV cell's text; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRecord(f"{name} is not a number: {value!r}")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise BadRecord(f"{name} is not a number: {value!r}") from None
    if not math.isfinite(result) or result < 0:
        raise BadRecord(f"{name} must be a finite number, not negative: {value!r}")
    return result


def count(value: Any, name: str) -> int | None:
    result = number(value, name)
    if result is None:
        return None
    if not result.is_integer():
        raise BadRecord(f"{name} is not a whole number: {value!r}")
    return int(result)


def moment(value: Any, name: str) -> float:
    """Epoch seconds of an ISO 8601 time (without a zone: UTC) or of epoch seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = text_of(value).strip()
    if not text:
        raise BadRecord(f"no {name}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"{name} is not an ISO 8601 time: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def json_value(value: Any) -> Any:
    """A nested value: as it is from JSON; from a CSV cell, its JSON text parsed (the text
    itself when it is not JSON). Helicone's export script doubles the quotes of JSON text
    before its CSV quoting doubles them again: `{""a"":1}` once the CSV is read."""
    if not isinstance(value, str):
        return value
    if not value:
        return None
    for text in (value, value.replace('""', '"')):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
    return value


def properties_of(value: Any, name: str) -> dict[str, str]:
    """Property values as text (a number's or a list's JSON), None ones left out."""
    parsed = json_value(value)
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise BadRecord(f"{name} is not an object")
    return {
        str(key): item if isinstance(item, str) else orjson.dumps(item).decode()
        for key, item in parsed.items()
        if item is not None
    }

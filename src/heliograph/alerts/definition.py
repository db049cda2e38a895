"""What an alert rule is, and validating one from Helicone's request body (`AlertRequest`).

Field names, metrics and limits follow Jawn's AlertStore: `time_window` in milliseconds
(30 s to 30 days, sent as a string or a number), a percentage for `response.status`,
at least $0.01 for `cost`. Heliograph adds `webhook_urls` and `enabled`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from heliograph.alerts.filters import to_filter_node
from heliograph.errors import InvalidRequestError
from heliograph.outbound.urls import OutboundUrlError, destination
from heliograph.store.filters import FilterError, compile_filter
from heliograph.store.params import Params

ERROR_RATE = "response.status"
METRICS = (
    ERROR_RATE,
    "cost",
    "latency",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
    "prompt_cache_read_tokens",
    "prompt_cache_write_tokens",
    "count",
)
AGGREGATIONS = ("sum", "avg", "min", "max", "percentile")
MIN_WINDOW_MS = 30_000
MAX_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
MAX_TARGETS = 20
MAX_NAME_CHARS = 200
MAX_URL_CHARS = 2048
MAX_COUNT = 10**12
# Shared with the OpenAPI document; control characters (C0 and C1) are never accepted.
_ADDRESS_CHAR = r"[^\s@\x00-\x1f\x7f-\x9f]"
EMAIL_PATTERN = f"^{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\\.{_ADDRESS_CHAR}+$"
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"

# Read-only columns of Helicone's alert row that its dashboard may send back: accepted, ignored.
IGNORED_FIELDS = frozenset(
    {"id", "org_id", "status", "soft_delete", "time_block_duration", "created_at", "updated_at"}
)
# Helicone fields Heliograph accepts only in their "off" state.
UNSUPPORTED_FIELDS = frozenset({"grouping", "grouping_is_property", "slack_channels"})


@dataclass(frozen=True)
class AlertSpec:
    """The user-controlled part of an alert rule, validated."""

    name: str
    metric: str
    threshold: float
    time_window: int  # milliseconds
    emails: list[str] = field(default_factory=list)
    webhook_urls: list[str] = field(default_factory=list)
    minimum_request_count: int | None = None
    aggregation: str | None = None
    percentile: float | None = None
    filter: Any = None
    enabled: bool = True


FIELDS = frozenset(AlertSpec.__dataclass_fields__)


def parse_alert(payload: Any) -> AlertSpec:
    """A new rule from a create body; raises InvalidRequestError naming the bad field."""
    if not isinstance(payload, Mapping):
        raise InvalidRequestError("Invalid request: the body must be a JSON object")
    _check_field_names(payload)
    values = {name: payload[name] for name in FIELDS if name in payload}
    for required in ("name", "metric", "threshold", "time_window"):
        if values.get(required) is None:
            if required == "name":
                raise InvalidRequestError("Name is required")
            raise InvalidRequestError(f"Invalid {required}: required")
    return _validated(values)


def apply_changes(current: AlertSpec, payload: Any) -> AlertSpec:
    """`current` with the fields of an update body replaced, validated as a whole."""
    if not isinstance(payload, Mapping):
        raise InvalidRequestError("Invalid request: the body must be a JSON object")
    _check_field_names(payload)
    values = asdict(current)
    values.update({name: payload[name] for name in FIELDS if name in payload})
    return _validated(values)


def _check_field_names(payload: Mapping[str, Any]) -> None:
    for name in payload:
        if name in FIELDS or name in IGNORED_FIELDS:
            continue
        if name in UNSUPPORTED_FIELDS:
            _check_unsupported(name, payload[name])
            continue
        raise InvalidRequestError(f"Unknown field {name!r}")


def _check_unsupported(name: str, value: Any) -> None:
    if name == "slack_channels" and value not in (None, []):
        raise InvalidRequestError(
            "Invalid slack_channels: Slack channels need Helicone's Slack app; "
            "put a Slack incoming-webhook URL in webhook_urls instead"
        )
    if name == "grouping" and value is not None:
        raise InvalidRequestError("Invalid grouping: grouped alerts are not supported yet")


def _validated(values: dict[str, Any]) -> AlertSpec:
    metric = values.get("metric")
    if metric not in METRICS:
        raise InvalidRequestError(f"Invalid metric: {metric!r}; one of {', '.join(METRICS)}")
    aggregation, percentile = _aggregation(values.get("aggregation"), values.get("percentile"))
    spec = AlertSpec(
        name=_name(values.get("name")),
        metric=metric,
        threshold=_threshold(metric, values.get("threshold")),
        time_window=_time_window(values.get("time_window")),
        emails=_emails(values.get("emails")),
        webhook_urls=_webhook_urls(values.get("webhook_urls")),
        minimum_request_count=_minimum(values.get("minimum_request_count")),
        aggregation=aggregation,
        percentile=percentile,
        filter=_filter(values.get("filter")),
        enabled=_enabled(values.get("enabled", True)),
    )
    if not spec.emails and not spec.webhook_urls:
        raise InvalidRequestError(
            "At least one notification method is required: emails or webhook_urls"
        )
    return spec


def _unicode(text: str) -> bool:
    """Lone surrogates (possible in JSON `\\ud800` escapes) cannot be stored or sent."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("Name is required")
    if len(value) > MAX_NAME_CHARS or not re.fullmatch(NAME_PATTERN, value) or not _unicode(value):
        raise InvalidRequestError(
            f"Invalid name: at most {MAX_NAME_CHARS} characters, no control characters"
        )
    return value.strip()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) else None


def _threshold(metric: str, value: Any) -> float:
    threshold = _number(value)
    if threshold is None or threshold <= 0:
        raise InvalidRequestError("Invalid threshold: a number greater than 0")
    if metric == ERROR_RATE and threshold > 100:
        raise InvalidRequestError("Invalid threshold: an error rate is a percentage, at most 100")
    if metric == "cost" and threshold < 0.01:
        raise InvalidRequestError("Invalid threshold: a cost threshold is at least 0.01 (USD)")
    return threshold


def _time_window(value: Any) -> int:
    window: int | None = None
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit() accepts.
    if isinstance(value, str) and value.strip().isdecimal():
        window = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        window = value
    elif isinstance(value, float) and value.is_integer():
        window = int(value)
    if window is None or not MIN_WINDOW_MS <= window <= MAX_WINDOW_MS:
        raise InvalidRequestError(
            f"Invalid time_window: milliseconds from {MIN_WINDOW_MS} (30 seconds) "
            f"to {MAX_WINDOW_MS} (30 days)"
        )
    return window


def _minimum(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # 5.0 is an integer in JSON Schema
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidRequestError(
            f"Invalid minimum_request_count: a whole number from 0 to {MAX_COUNT}"
        )
    return value


def _aggregation(aggregation: Any, percentile: Any) -> tuple[str | None, float | None]:
    if aggregation is None:
        return None, None
    if aggregation not in AGGREGATIONS:
        raise InvalidRequestError(
            f"Invalid aggregation: {aggregation!r}; one of {', '.join(AGGREGATIONS)}"
        )
    if aggregation != "percentile":
        return aggregation, None
    if percentile is None:
        return aggregation, 50.0  # Helicone's default
    level = _number(percentile)
    if level is None or not 0 < level <= 100:
        raise InvalidRequestError("Invalid percentile: a number above 0, at most 100")
    return aggregation, level


def _filter(value: Any) -> Any:
    if value is None:
        return None
    try:
        compile_filter(to_filter_node(value), Params())
    except FilterError as exc:
        raise InvalidRequestError(f"Invalid filter: {exc.message}") from None
    return value


def _emails(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TARGETS:
        raise InvalidRequestError(f"Invalid emails: a list of at most {MAX_TARGETS} addresses")
    for email in value:
        if (
            not isinstance(email, str)
            or len(email) > 320
            or not re.fullmatch(EMAIL_PATTERN, email)
            or not _unicode(email)
        ):
            raise InvalidRequestError(f"Invalid emails: {email!r} is not an e-mail address")
    return list(dict.fromkeys(value))


def _webhook_urls(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TARGETS:
        raise InvalidRequestError(f"Invalid webhook_urls: a list of at most {MAX_TARGETS} URLs")
    for url in value:
        if not isinstance(url, str) or len(url) > MAX_URL_CHARS or not _unicode(url):
            raise InvalidRequestError(
                f"Invalid webhook_urls: {redacted_url(url)!r} is not an http(s) URL"
            )
        try:
            destination(url)
        except OutboundUrlError as exc:
            raise InvalidRequestError(
                f"Invalid webhook_urls: {redacted_url(url)!r}: {exc}"
            ) from None
    return list(dict.fromkeys(value))


def _enabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequestError("Invalid enabled: true or false")
    return value


def redacted_url(url: Any) -> str:
    """A webhook URL fit for logs and history: its path or query may hold a secret (Slack's do)."""
    if not isinstance(url, str):
        return repr(url)[:60]
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url[:8] + "..."
    if not parts.scheme or not host:
        return url[:8] + "..."
    rest = "/..." if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"

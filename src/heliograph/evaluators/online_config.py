"""An online evaluator's `config` (Helicone's `{sampleRate, propertyFilters}`): validation and
matching a logged request.

Sampling is decided from the request id (a hash), so a replayed row is sampled as it was the
first time and every process decides alike: a request is scored or skipped, never both.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError

MAX_PROPERTY_FILTERS = 50
MAX_FILTER_TEXT = 1024


@dataclass(frozen=True, slots=True)
class OnlineConfig:
    sample_rate: float = 100.0
    property_filters: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> str:
        rate = self.sample_rate
        return orjson.dumps(
            {
                "sampleRate": int(rate) if rate.is_integer() else rate,
                "propertyFilters": [{"key": k, "value": v} for k, v in self.property_filters],
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str) -> OnlineConfig:
        stored = orjson.loads(text)
        filters = tuple((f["key"], f["value"]) for f in stored.get("propertyFilters", []))
        return cls(float(stored.get("sampleRate", 100)), filters)

    def matches(self, request_id: str, properties: Mapping[str, Any]) -> bool:
        """The request is sampled and every filter matches."""
        return sampled(request_id, self.sample_rate) and self.matches_properties(properties)

    def matches_properties(self, properties: Mapping[str, Any]) -> bool:
        """Every filter matches a custom property (names case-insensitively)."""
        if not self.property_filters:
            return True
        lowered = {str(k).lower(): v for k, v in properties.items()}
        return all(lowered.get(key.lower()) == value for key, value in self.property_filters)


def sampled(request_id: str, sample_rate: float) -> bool:
    if sample_rate >= 100:
        return True
    if sample_rate <= 0:
        return False
    digest = hashlib.sha256(b"evaluator:" + request_id.lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100 < sample_rate


def parse_online_config(config: Any) -> OnlineConfig:
    """Validate `config`, naming the field at fault (Helicone: sampleRate 0-100, default 100)."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise InvalidRequestError('config: must be an object like {"sampleRate": 10}')
    rate = config.get("sampleRate", 100)
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not math.isfinite(rate)
        or not 0 <= rate <= 100
    ):
        raise InvalidRequestError("config.sampleRate: Sample rate must be between 0 and 100")
    filters = config.get("propertyFilters", [])
    if not isinstance(filters, list) or len(filters) > MAX_PROPERTY_FILTERS:
        raise InvalidRequestError(
            f"config.propertyFilters: an array of at most {MAX_PROPERTY_FILTERS} {{key, value}}"
        )
    parsed = []
    for index, item in enumerate(filters):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not isinstance(item.get("value"), str)
            or not item["key"]
            or len(item["key"]) > MAX_FILTER_TEXT
            or len(item["value"]) > MAX_FILTER_TEXT
        ):
            raise InvalidRequestError(
                f"config.propertyFilters[{index}]: an object with string key and value "
                f"(at most {MAX_FILTER_TEXT} characters each)"
            )
        _check_text(f"config.propertyFilters[{index}]", item["key"] + item["value"])
        parsed.append((item["key"], item["value"]))
    return OnlineConfig(float(rate), tuple(parsed))


def _check_text(field: str, text: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError(f"{field}: not valid Unicode text") from None

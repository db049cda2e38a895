"""A webhook's config (`sampleRate`, `propertyFilters`, `includeData`): validation and matching.

Helicone's semantics: `sampleRate` is the percentage (0-100, default 100) of requests sent;
every `{key, value}` property filter must match; `includeData` (default true) adds the
model, provider and metadata to the payload. Sampling is decided from the request id, so
a replayed row is sampled the same way and every webhook samples the same requests.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.outbound.urls import OutboundUrlError
from heliograph.outbound.urls import destination as destination_of

MAX_DESTINATION_LENGTH = 2048
MAX_PROPERTY_FILTERS = 50
MAX_FILTER_TEXT = 1024
# What the OpenAPI document promises is accepted (a subset of what `validate_destination` takes).
_PORT = "(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
DESTINATION_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~%!$&'()*+,;=-]+" + _PORT + r"([/?#][^\x00-\x20\x7f]*)?$"
)


@dataclass(frozen=True, slots=True)
class PropertyFilter:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    sample_rate: float = 100.0
    property_filters: tuple[PropertyFilter, ...] = ()
    include_data: bool = True

    def to_json(self) -> str:
        """The stored and shown form, with Helicone's field names."""
        return orjson.dumps(
            {
                "sampleRate": _plain_number(self.sample_rate),
                "propertyFilters": [
                    {"key": f.key, "value": f.value} for f in self.property_filters
                ],
                "includeData": self.include_data,
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str) -> WebhookConfig:
        stored = orjson.loads(text)
        return cls(
            sample_rate=float(stored.get("sampleRate", 100)),
            property_filters=tuple(
                PropertyFilter(f["key"], f["value"]) for f in stored.get("propertyFilters", [])
            ),
            include_data=stored.get("includeData", True) is not False,
        )

    def matches(self, request_id: str, properties: Mapping[str, Any]) -> bool:
        """Whether a logged request goes to this webhook (filters first, then sampling)."""
        if self.property_filters:
            lowered = {str(k).lower(): v for k, v in properties.items()}
            for wanted in self.property_filters:
                if lowered.get(wanted.key.lower()) != wanted.value:
                    return False
        return sampled(request_id, self.sample_rate)


def sampled(request_id: str, sample_rate: float) -> bool:
    """Deterministic: a request id always lands in the same percentile bucket."""
    if sample_rate >= 100:
        return True
    if sample_rate <= 0:
        return False
    digest = hashlib.sha256(request_id.lower().encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64 * 100
    return bucket < sample_rate


def _plain_number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def validate_destination(destination: Any) -> str:
    if not isinstance(destination, str) or not destination.strip():
        raise InvalidRequestError("destination: required, an http(s) URL")
    url: str = destination.strip()
    _check_text("destination", url)
    if len(url) > MAX_DESTINATION_LENGTH:
        raise InvalidRequestError(
            f"destination: at most {MAX_DESTINATION_LENGTH} characters, not {len(url)}"
        )
    try:
        destination_of(url)
    except OutboundUrlError as exc:
        raise InvalidRequestError(f"destination: {exc}") from None
    return url


def parse_config(config: Any, include_data: Any = None) -> WebhookConfig:
    """Validate Helicone's `config` object (and the top-level `includeData`), naming the field."""
    if not isinstance(config, dict):
        raise InvalidRequestError('config: required, an object (e.g. {"sampleRate": 100})')
    rate = config.get("sampleRate", 100)
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not math.isfinite(rate)
        or not 0 <= rate <= 100
    ):
        raise InvalidRequestError(
            f"config.sampleRate: must be a number between 0 and 100, not {rate!r}"
        )
    filters = config.get("propertyFilters", [])
    if not isinstance(filters, list):
        raise InvalidRequestError("config.propertyFilters: must be an array of {key, value}")
    if len(filters) > MAX_PROPERTY_FILTERS:
        raise InvalidRequestError(
            f"config.propertyFilters: at most {MAX_PROPERTY_FILTERS} filters, not {len(filters)}"
        )
    parsed: list[PropertyFilter] = []
    for index, item in enumerate(filters):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not isinstance(item.get("value"), str)
            or not item["key"]
        ):
            raise InvalidRequestError(
                f"config.propertyFilters[{index}]: must be an object with string key and value"
            )
        if len(item["key"]) > MAX_FILTER_TEXT or len(item["value"]) > MAX_FILTER_TEXT:
            raise InvalidRequestError(
                f"config.propertyFilters[{index}]: key and value at most {MAX_FILTER_TEXT} chars"
            )
        _check_text(f"config.propertyFilters[{index}]", item["key"] + item["value"])
        parsed.append(PropertyFilter(item["key"], item["value"]))
    # Helicone reads the top-level `includeData`; `config.includeData` is accepted when absent.
    chosen = include_data if include_data is not None else config.get("includeData")
    if chosen is not None and not isinstance(chosen, bool):
        field = "includeData" if include_data is not None else "config.includeData"
        raise InvalidRequestError(f"{field}: must be true or false, not {chosen!r}")
    return WebhookConfig(float(rate), tuple(parsed), chosen is not False)


def _check_text(field: str, text: str) -> None:
    """Lone surrogates (possible in JSON `\\ud800` escapes) cannot be stored or sent."""
    try:
        text.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError(f"{field}: not valid Unicode text") from None

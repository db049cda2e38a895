"""Reading Helicone-* request headers and choosing which headers go upstream."""

from __future__ import annotations

import re
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from heliograph.errors import InvalidRequestError
from heliograph.outbound.headers import FRAMING_HEADERS

PROPERTY_PREFIX = b"helicone-property-"
RAW_PROPERTY_NAMES = "heliograph.property_names"  # scope key set by CasePreservingProtocol

# The client's own framing and hop-by-hop headers never go upstream (the outbound policy's
# list, as bytes for the per-header lookup on the hot path; proxy-* spelled out).
HOP_BY_HOP = frozenset(name.encode() for name in FRAMING_HEADERS) | {
    b"proxy-authenticate",
    b"proxy-authorization",
}

# Helicone headers whose values are kept as properties, under these keys (Helicone does the same).
_PROPERTY_ALIASES = {
    b"helicone-session-id": "Helicone-Session-Id",
    b"helicone-session-path": "Helicone-Session-Path",
    b"helicone-session-name": "Helicone-Session-Name",
    b"helicone-prompt-id": "Helicone-Prompt-Id",
    b"helicone-experiment-id": "Helicone-Experiment-Id",
    # Helicone's legacy prompt name and format flag, and its jobs' node id: kept, not acted on.
    b"helicone-prompt-name": "Helicone-Prompt-Name",
    b"helicone-prompt-format": "Helicone-Prompt-Format",
    b"helicone-node-id": "Helicone-Node-Id",
}

# Cache headers Helicone's worker also copies into the properties (its getHeliconeProperties):
# each read as the cache reads it, kept as `other` too, and stored only when set.
_CACHE_PROPERTIES = {
    b"helicone-cache-enabled": "Helicone-Cache-Enabled",
    b"helicone-cache-seed": "Helicone-Cache-Seed",
    b"helicone-cache-bucket-max-size": "Helicone-Cache-Bucket-Max-Size",
    b"helicone-cache-control": "Helicone-Cache-Control",
}
_LEADING_INT = re.compile(r"[+-]?\d+")


@dataclass(slots=True)
class HeliconeHeaders:
    auth: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    target_url: str | None = None
    model_override: str | None = None
    omit_request: bool = False
    omit_response: bool = False
    prompt_version: str | None = None  # Helicone-Prompt-Version, stored in `prompt_version`
    prompt_mode: str | None = None  # Helicone-Prompt-Mode, lower-cased; see prompt_mode_error
    properties: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)  # every other helicone-* header
    forward: list[tuple[str, str]] = field(default_factory=list)  # headers to send upstream

    def forwarded(self, name: str) -> str | None:
        """The first value of a non-Helicone header (`name` in lower case), or None."""
        return next((value for key, value in self.forward if key == name), None)


def _true(value: bytes) -> bool:
    return value.strip().lower() == b"true"


def valid_uuid(value: str) -> str | None:
    """The canonical lower-case form of a UUID string, or None when it is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def parse_headers(scope: MutableMapping[str, Any]) -> HeliconeHeaders:
    """One pass over the request headers: Helicone's go to HeliconeHeaders, the rest upstream."""
    parsed = HeliconeHeaders()
    raw_names = scope.get(RAW_PROPERTY_NAMES)
    raw_iter = iter(raw_names) if isinstance(raw_names, list) else None
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if not name.startswith(b"helicone-"):
            if name not in HOP_BY_HOP:
                parsed.forward.append((name.decode("latin-1"), value.decode("latin-1")))
            continue
        text = value.decode("utf-8", "replace").strip()
        if name.startswith(PROPERTY_PREFIX):
            sent_name = next(raw_iter, name) if raw_iter is not None else name
            key = sent_name[len(PROPERTY_PREFIX) :].decode("latin-1")
            parsed.properties[key] = text
        elif name == b"helicone-auth":
            parsed.auth = text
        elif name == b"helicone-request-id":
            parsed.request_id = valid_uuid(text)
        elif name == b"helicone-user-id":
            parsed.user_id = text
        elif name == b"helicone-target-url":
            parsed.target_url = text
        elif name == b"helicone-model-override":
            parsed.model_override = text
        elif name == b"helicone-omit-request":
            parsed.omit_request = _true(value)
        elif name == b"helicone-omit-response":
            parsed.omit_response = _true(value)
        elif name in _PROPERTY_ALIASES:
            parsed.properties[_PROPERTY_ALIASES[name]] = text
        elif name == b"helicone-prompt-version":
            parsed.prompt_version = text
        elif name == b"helicone-prompt-mode":
            parsed.prompt_mode = text.lower()
            parsed.other["helicone-prompt-mode"] = text
        elif name == b"helicone-posthog-key":
            parsed.other["helicone-posthog-key"] = text
            parsed.properties["Helicone-Sent-To-Posthog"] = "true"  # as Helicone marks it
        elif name in _CACHE_PROPERTIES:
            parsed.other[name.decode("latin-1")] = text
            stored = _cache_property(name, text)
            if stored:
                parsed.properties[_CACHE_PROPERTIES[name]] = stored
        else:
            parsed.other[name.decode("latin-1")] = text
    return parsed


PROMPT_MODES = ("production", "testing", "deactivated")
_UNLOGGED_PROMPT_MODES = frozenset(PROMPT_MODES[1:])


def prompt_mode_error(headers: HeliconeHeaders) -> str | None:
    """Why the call's Helicone-Prompt-Mode is refused (Helicone's worker throws on a mode it
    does not know), or None."""
    if headers.prompt_mode is None or headers.prompt_mode in PROMPT_MODES:
        return None
    return f"Helicone-Prompt-Mode must be one of {', '.join(PROMPT_MODES)}"


def logged_prompt_id(headers: HeliconeHeaders) -> str:
    """The `prompt_id` a call's row keeps for its Helicone-Prompt-Id: Helicone logs it in
    production mode only (the default), not under `testing` or `deactivated`."""
    if headers.prompt_mode in _UNLOGGED_PROMPT_MODES:
        return ""
    return headers.properties.get("Helicone-Prompt-Id", "")


def _cache_property(name: bytes, text: str) -> str | None:
    """The property value Helicone stores for a cache header: `true` only when enabled, the
    seed and bucket size as the integer JavaScript's parseInt reads (none when 0 or none, so
    a seed such as `user-123` is not stored), the cache control as sent."""
    if name == b"helicone-cache-enabled":
        return "true" if text.lower() == "true" else None
    if name == b"helicone-cache-control":
        return text or None
    number = _LEADING_INT.match(text)
    return str(int(number.group())) if number and int(number.group()) else None


MAX_PROPERTY_KEY_CHARS = 100  # Helicone's documented recommendations: longer is stored, warned
MAX_PROPERTY_VALUE_CHARS = 1000
MAX_PROPERTIES_BYTES = 64 * 1024  # a hard cap: beyond it the call is refused


class PropertiesTooLarge(InvalidRequestError):
    """The custom properties of one call exceed the hard cap."""


def property_warnings(properties: dict[str, str]) -> list[str]:
    """Warnings for properties beyond the recommended sizes; raises past the hard cap."""
    total = sum(len(k.encode()) + len(v.encode()) for k, v in properties.items())
    if total > MAX_PROPERTIES_BYTES:
        raise PropertiesTooLarge(
            f"Helicone-Property-* headers total {total} bytes; the limit is {MAX_PROPERTIES_BYTES}"
        )
    warnings = []
    for key, value in properties.items():
        if len(key) > MAX_PROPERTY_KEY_CHARS:
            warnings.append(f"property key {key[:40]!r}... exceeds {MAX_PROPERTY_KEY_CHARS} chars")
        if len(value) > MAX_PROPERTY_VALUE_CHARS:
            warnings.append(f"property {key[:40]!r} value exceeds {MAX_PROPERTY_VALUE_CHARS} chars")
    return warnings


def force_stream_format(headers: HeliconeHeaders) -> bool:
    return headers.other.get("helicone-stream-force-format", "").strip().lower() == "true"


MAX_TARGET_PROVIDER_CHARS = 64


def target_provider(headers: HeliconeHeaders) -> str | None:
    """The provider name a call gives in Helicone-Target-Provider, as sent, or None."""
    named = headers.other.get("helicone-target-provider")
    if not named:
        return None
    if len(named) > MAX_TARGET_PROVIDER_CHARS:
        raise InvalidRequestError(
            f"Helicone-Target-Provider is at most {MAX_TARGET_PROVIDER_CHARS} characters"
        )
    return named


# Helicone-Increase-Timeout: true: Helicone's worker then waits 30 minutes for the provider.
INCREASED_READ_TIMEOUT_S = 30 * 60.0


def read_timeout_floor(headers: HeliconeHeaders) -> float | None:
    """The read timeout Helicone-Increase-Timeout: true asks for (the configured one stays
    when it is longer), or None."""
    if headers.other.get("helicone-increase-timeout", "").strip().lower() == "true":
        return INCREASED_READ_TIMEOUT_S
    return None


def stream_usage_wanted(headers: HeliconeHeaders) -> bool:
    """Helicone-Stream-Usage: true: the client gets the usage chunk that the gateway asks an
    OpenAI-format stream for (Helicone sets `stream_options.include_usage`)."""
    return headers.other.get("helicone-stream-usage", "").strip().lower() == "true"


def bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None

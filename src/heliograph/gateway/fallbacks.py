"""The `Helicone-Fallbacks` header of the passthrough routes: other upstreams to try in order.

`[{"target-url": "https://api.openai.com", "headers": {...}, "onCodes": [429, {"from": 500,
"to": 599}], "bodyKeyOverride": {"model": "gpt-4o-mini"}}, ...]`: when an entry answers with
one of its `onCodes` (default: 429 and 5xx) or cannot be reached, the next entry is tried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.outbound.headers import HeaderError, caller_headers
from heliograph.outbound.urls import OutboundUrlError, destination

MAX_FALLBACKS = 20
DEFAULT_CODES: Callable[[int], bool] = lambda status: status == 429 or status >= 500  # noqa: E731


@dataclass(frozen=True)
class Fallback:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    codes: tuple[tuple[int, int], ...] = ()  # inclusive ranges; empty: the default codes
    body_override: dict[str, Any] = field(default_factory=dict)

    def hands_over(self, status: int) -> bool:
        """Whether this entry's answer `status` sends the call on to the next entry."""
        if not self.codes:
            return DEFAULT_CODES(status)
        return any(low <= status <= high for low, high in self.codes)


def parse_fallbacks(value: str) -> list[Fallback]:
    """The entries of a Helicone-Fallbacks header; a clear 400 for anything malformed."""
    try:
        entries = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("Helicone-Fallbacks must be a JSON array") from None
    if not isinstance(entries, list) or not entries or len(entries) > MAX_FALLBACKS:
        raise InvalidRequestError(f"Helicone-Fallbacks must list 1 to {MAX_FALLBACKS} entries")
    return [_entry(i, entry) for i, entry in enumerate(entries)]


def _entry(index: int, entry: Any) -> Fallback:
    where = f"Helicone-Fallbacks[{index}]"
    if not isinstance(entry, dict):
        raise InvalidRequestError(f"{where} must be an object")
    url = entry.get("target-url")
    if not isinstance(url, str):
        raise InvalidRequestError(f'{where} needs "target-url": an http(s) URL')
    try:
        destination(url)
    except OutboundUrlError as exc:
        raise InvalidRequestError(f'{where}: "target-url": {exc}') from None
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise InvalidRequestError(f'{where}: "headers" must map names to strings')
    try:
        headers = dict(caller_headers(headers))  # framing headers are the client's alone
    except HeaderError as exc:
        raise InvalidRequestError(f'{where}: "headers": {exc}') from None
    override = entry.get("bodyKeyOverride", {})
    if not isinstance(override, dict):
        raise InvalidRequestError(f'{where}: "bodyKeyOverride" must be an object')
    codes = []
    for code in entry.get("onCodes", []):
        if isinstance(code, int) and not isinstance(code, bool):
            codes.append((code, code))
        elif (
            isinstance(code, dict)
            and isinstance(code.get("from"), int)
            and isinstance(code.get("to"), int)
        ):
            codes.append((code["from"], code["to"]))
        else:
            raise InvalidRequestError(
                f'{where}: "onCodes" holds status codes or {{"from": N, "to": M}} ranges'
            )
    return Fallback(url.rstrip("/"), dict(headers), tuple(codes), override)


def with_headers(forward: list[tuple[str, str]], extra: dict[str, str]) -> list[tuple[str, str]]:
    """`forward` with the names in `extra` replaced (compared case-insensitively); `extra`
    holds no framing headers (parse_fallbacks dropped them)."""
    if not extra:
        return forward
    replaced = {name.lower() for name in extra}
    return [(n, v) for n, v in forward if n.lower() not in replaced] + list(extra.items())

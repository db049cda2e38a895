"""The request body of a `Helicone-Prompt-Id` call: read for its tags, and sent upstream
without them, as Helicone's worker sends it (`parseJSXObject`'s `objectWithoutJSXTags`).

A body that cannot be read (not a JSON object, over MAX_SCANNED_BYTES, more than MAX_TAGS
tags) goes upstream as it came and records nothing: a legacy prompt never fails a call.
"""

from __future__ import annotations

import json
from typing import Any

from heliograph.prompts.legacy.tags import MARKER, Scan, scan

MAX_SCANNED_BYTES = 4 * 1024 * 1024
_MARKER = MARKER.encode()


def parse_request(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (too large, not JSON, not an object)."""
    if len(body) > MAX_SCANNED_BYTES:
        return None
    try:
        # The standard library's parser: orjson reads an integer past 64 bits (which JSON
        # allows) as a float, and the body sent upstream would change.
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def read_body(body: bytes) -> Scan | None:
    """The body's template, inputs and auto inputs, or None when it cannot be read."""
    request = parse_request(body)
    return None if request is None else scan(request)


def upstream_body(body: bytes) -> bytes | None:
    """The body without its prompt tags, or None to send it as it came (it holds no tag, or
    cannot be read)."""
    if _MARKER not in body:
        return None
    found = read_body(body)
    if found is None or found.tags == 0:
        return None
    return _encoded(found.upstream)


def _encoded(value: Any) -> bytes | None:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeEncodeError):  # a lone surrogate
        return None

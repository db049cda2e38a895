"""The `x-fake-behaviour` request header: how a test asks the fake to misbehave.

Grammar: comma-separated items, each `name=integer` or the bare flag `invalid_json`, e.g.
`status=429` or `fail_first=2,status=503,delay_ms=50`. An unknown name or a bad value is a
mistake in the test, so the fake answers 400 naming it instead of guessing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from aiohttp import web

HEADER = "x-fake-behaviour"
# `fail_first` counts calls per value of this header, so parallel tests don't share counters.
KEY_HEADER = "x-fake-key"

DEFAULT_WORDS = 20
DEFAULT_CHUNKS = 20


class BehaviourError(ValueError):
    """The behaviour header cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What one request asked for; the defaults are a well-behaved provider."""

    status: int | None = None
    fail_first: int | None = None
    delay_ms: int = 0
    chunk_delay_ms: int = 0
    chunks: int = DEFAULT_CHUNKS
    words: int | None = None
    cut_after: int | None = None
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    pad_bytes: int | None = None
    invalid_json: bool = False
    # Applied by /v1/moderations only (openai_moderations.py), not by the middleware.
    moderation_status: int | None = None
    moderation_delay_ms: int = 0

    @property
    def reply_words(self) -> int:
        """Words in the reply: `words=`, else enough for every requested chunk."""
        if self.words is not None:
            return self.words
        return max(DEFAULT_WORDS, self.chunks)

    def fails(self, previous_calls: int) -> bool:
        """Whether this call gets the error status, given earlier calls with the same key."""
        if self.status is None or self.status < 400:
            return False
        return self.fail_first is None or previous_calls < self.fail_first


DEFAULT = Behaviour()

# Header names that differ from the field names (`bytes` would shadow the builtin).
_FIELDS = {"bytes": "pad_bytes"}
_INT_FIELDS = {f.name for f in dataclasses.fields(Behaviour) if f.name != "invalid_json"}
_FLAGS = {"invalid_json"}
# Every name the header accepts, as a test writes it.
NAMES = frozenset({*_FIELDS, *_INT_FIELDS, *_FLAGS} - set(_FIELDS.values()))


@lru_cache(maxsize=512)
def parse(header: str) -> Behaviour:
    """Parse a header value; cached because benchmarks send the same one many times."""
    values: dict[str, object] = {}
    for item in header.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep:
            if name not in _FLAGS:
                raise BehaviourError(f"unknown behaviour flag {name!r}")
            values[name] = True
            continue
        field = _FIELDS.get(name, name)
        if field not in _INT_FIELDS:
            raise BehaviourError(f"unknown behaviour {name!r}")
        try:
            number = int(raw.strip())
        except ValueError:
            raise BehaviourError(f"behaviour {name!r} needs an integer, got {raw!r}") from None
        if number < 0:
            raise BehaviourError(f"behaviour {name!r} must not be negative")
        values[field] = number
    if "fail_first" in values and "status" not in values:
        values["status"] = 500
    return Behaviour(**values)  # type: ignore[arg-type]


# A provider key may carry a behaviour too: "sk-x-fake-behaviour:status=429". Gateways send
# their own configured key upstream, not the client's headers, so this is how a test makes
# one provider of a fallback chain misbehave.
KEY_MARKER = "fake-behaviour:"
_KEY_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")


def of(request: web.Request) -> Behaviour:
    """The behaviour a request asked for (the default when it asked for none)."""
    header = request.headers.get(HEADER)
    if header is not None:
        return parse(header)
    for name in _KEY_HEADERS:
        _, marker, spec = request.headers.get(name, "").partition(KEY_MARKER)
        if marker:
            return parse(spec)
    return DEFAULT


def failure_key(request: web.Request) -> str:
    """What `fail_first` counts per: the x-fake-key header, else the provider key sent."""
    key = request.headers.get(KEY_HEADER)
    if key is not None:
        return key
    return next((request.headers[n] for n in _KEY_HEADERS if n in request.headers), "")

"""OpenAI's moderation endpoint, asked about a call's latest user message before the call
(Helicone-Moderations-Enabled; the step is moderation_step.py).

As Helicone's worker does: the request's last message, when it is the user's, goes to
`POST /v1/moderations` as `input` (a string, or its text and image parts); the call is
flagged when any result is. The check goes out through the gateway's own pool (the outbound
policy applies), bounded by `moderation_timeout_s` and MAX_ANSWER_BYTES; anything short of a
readable 200 is a ModerationUnavailable, which `moderation_fail` decides about.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import HeliographError
from heliograph.httpclient.pool import ConnectionPool
from heliograph.httpclient.response import UpstreamConnectionError, UpstreamResponse

MODERATIONS_PATH = "/v1/moderations"
# An answer lists ~13 categories with scores: a few KB. Past this it is not OpenAI's.
MAX_ANSWER_BYTES = 1024 * 1024
# The content parts omni-moderation reads; others (audio, files) are left out of the check.
_MODERATED_PARTS = frozenset({"text", "image_url"})

# What a row's `moderation` column says: "" when the call was not checked.
CLEAN = "clean"
FLAGGED = "flagged"
ERROR_ALLOWED = "error_allowed"  # the check failed; `moderation_fail = open` sent the call
ERROR_BLOCKED = "error_blocked"  # the check failed; `moderation_fail = closed` refused it


class ModerationUnavailable(HeliographError):
    """The check could not be made: no key, no answer, or an answer that is not a verdict.
    Its message says why, without the key; `moderation_fail` decides what the call gets."""

    status = 503
    kind = "service_unavailable_error"


@dataclass(frozen=True, slots=True)
class Verdict:
    flagged: bool
    categories: tuple[str, ...]  # the categories flagged, sorted


def latest_user_content(request: Any) -> str | list[dict[str, Any]] | None:
    """What is moderated: the last message's content when the last message is the user's
    (a string, or its text and image parts); None when there is nothing to check."""
    messages = request.get("messages") if isinstance(request, dict) else None
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "user":
        return None
    content = last.get("content")
    if isinstance(content, str):
        return content or None
    if isinstance(content, list):
        parts = [p for p in content if isinstance(p, dict) and p.get("type") in _MODERATED_PARTS]
        return parts or None
    return None


class Moderator:
    """Asks OpenAI's moderation endpoint, through the gateway's pool, within a time limit."""

    def __init__(self, upstream: ConnectionPool, timeout_s: float) -> None:
        self._upstream = upstream
        self.timeout_s = timeout_s

    async def check(
        self, base_url: str, headers: list[tuple[str, str]], content: str | list[dict[str, Any]]
    ) -> Verdict:
        """The verdict on `content`; raises ModerationUnavailable when there is none."""
        body = orjson.dumps({"input": content})
        sent = [("content-type", "application/json"), *headers]
        url = base_url.rstrip("/") + MODERATIONS_PATH
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._upstream.request("POST", url, sent, body)
                try:
                    data = await _bounded(response)
                finally:
                    response.release()
        except TimeoutError:
            raise ModerationUnavailable(f"no answer within {self.timeout_s:g} s") from None
        except (UpstreamConnectionError, ValueError) as exc:  # OutboundRefused is a ValueError
            raise ModerationUnavailable(f"unreachable ({type(exc).__name__})") from None
        if response.status != 200:
            raise ModerationUnavailable(f"it answered {response.status}")
        return _verdict(data)


async def _bounded(response: UpstreamResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.iter_chunks():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise ModerationUnavailable(f"its answer is larger than {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _verdict(data: bytes) -> Verdict:
    """Flagged when any result is; the categories any result flags."""
    try:
        answer = orjson.loads(data)
    except orjson.JSONDecodeError:
        answer = None
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or not results:
        raise ModerationUnavailable("its answer has no results")
    flagged = False
    categories: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("flagged"), bool):
            raise ModerationUnavailable("its answer has a result without 'flagged'")
        flagged = flagged or result["flagged"]
        named = result.get("categories")
        if isinstance(named, dict):
            categories.update(str(name)[:64] for name, value in named.items() if value is True)
    return Verdict(flagged, tuple(sorted(categories)[:32]))

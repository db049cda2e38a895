"""Helicone-Posthog-Key / -Host: each logged call exported to PostHog as a
`helicone_request_response` event with the properties Helicone's log pipeline sends
(Jawn's PostHogHandler).

Off the request path: a call only puts its stored row on a bounded queue (full: the event
is dropped and counted); a task of its own sends the queued events, batched per host and
key, to PostHog's `/batch/` endpoint through the gateway's connection pool, so the outbound
policy decides which hosts may be reached. As in Helicone, an event that fails to send is
not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from heliograph.httpclient.pool import ConnectionPool
from heliograph.outbound.urls import OutboundUrlError, destination
from heliograph.store.log_row import LogRow
from heliograph.throttled_log import ThrottledLog, describe

log = logging.getLogger("heliograph.posthog")

DEFAULT_HOST = "https://app.posthog.com"  # Helicone's default
EVENT = "helicone_request_response"
SENT_PROPERTY = "Helicone-Sent-To-Posthog"
MAX_PENDING = 10_000
MAX_BATCH = 100
FLUSH_S = 1.0
STOP_S = 10.0
NANO_USD = 1e9


@dataclass(frozen=True, slots=True)
class Export:
    key: str
    host: str  # an origin: scheme://host[:port]
    row: LogRow


def posthog_host(value: str | None) -> str | None:
    """The origin events go to (Helicone's default without a host), or None when the
    Helicone-Posthog-Host value is not a plain http(s) URL."""
    if not value:
        return DEFAULT_HOST
    try:
        destination(value)
    except OutboundUrlError:
        return None
    parts = urlsplit(value)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class PostHogExport:
    def __init__(self, pool: ConnectionPool, max_pending: int = MAX_PENDING) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[Export] = asyncio.Queue(max_pending)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._warn = ThrottledLog(log)
        self.dropped = 0  # events not queued (queue full, bad host) or not accepted
        self.sent = 0

    def submit(self, key: str, host: str | None, row: LogRow) -> None:
        """Queue the row's event; never waits."""
        origin = posthog_host(host)
        if origin is None:
            self.dropped += 1
            self._warn.warning("host", "Helicone-Posthog-Host is not an http(s) URL: dropped")
            return
        try:
            self._queue.put_nowait(Export(key, origin, row))
        except asyncio.QueueFull:
            self.dropped += 1
            self._warn.warning("full", "PostHog export queue full: event dropped")

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="posthog-export")

    async def stop(self) -> None:
        """Send what is queued, then stop (cancelled after STOP_S)."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(self._task, STOP_S)
        except TimeoutError:
            log.warning("PostHog export: %d events not sent at shutdown", self._queue.qsize())
        self._task = None

    async def _run(self) -> None:
        """Every FLUSH_S, send what was queued since; once more when stopping."""
        while True:
            stopping = self._stopping.is_set()
            exports = self._drain([])
            if exports:
                await self._send(exports)
            if stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), FLUSH_S)

    def _drain(self, taken: list[Export]) -> list[Export]:
        while True:
            try:
                taken.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return taken

    async def _send(self, exports: list[Export]) -> None:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for export in exports:
            event = event_of(export.row)
            if event is not None:
                groups.setdefault((export.host, export.key), []).append(event)
        for (host, key), events in groups.items():
            for start in range(0, len(events), MAX_BATCH):
                batch = events[start : start + MAX_BATCH]
                await self._post(host, key, batch)

    async def _post(self, host: str, key: str, batch: list[dict[str, Any]]) -> None:
        body = orjson.dumps({"api_key": key, "batch": batch})
        headers = [("content-type", "application/json")]
        try:
            response = await self._pool.request("POST", host + "/batch/", headers, body)
            await response.read()
        except Exception as exc:  # refused by the policy, unreachable, timed out
            self.dropped += len(batch)
            self._warn.warning("send", "PostHog export to %s failed: %s", host, describe(exc))
            return
        if response.status >= 300:
            self.dropped += len(batch)
            self._warn.warning("status", "PostHog at %s answered %d", host, response.status)
            return
        self.sent += len(batch)


def event_of(row: LogRow) -> dict[str, Any] | None:
    """The PostHog event of a stored row, with Helicone's property names (its spelling)."""
    try:
        stored = orjson.loads(row.line)
    except orjson.JSONDecodeError:
        return None
    request = _json_object(stored.get("request_body"))
    prompt_tokens = stored.get("prompt_tokens") or 0
    completion_tokens = stored.get("completion_tokens") or 0
    properties = stored.get("properties") or {}
    return {
        "event": EVENT,
        "distinct_id": str(uuid.uuid4()),  # Helicone sends a fresh id per event too
        "timestamp": _iso(stored.get("request_created_at", "")),
        "type": "capture",
        "properties": {
            "model": stored.get("model") or "",
            "temperature": request.get("temperature") or 0.0,
            "n": request.get("n") or 0,
            "promptId": stored.get("prompt_id") or "",
            "timeToFirstToken": stored.get("time_to_first_token") or 0,
            "cost": (stored.get("cost") or 0) / NANO_USD,
            "provider": stored.get("provider") or "",
            "path": stored.get("target_url") or "",
            "completetionTokens": completion_tokens,  # sic: Helicone's name
            "promptTokens": prompt_tokens,
            "totalTokens": prompt_tokens + completion_tokens,
            "userId": stored.get("user_id") or "",
            "countryCode": "",
            "requestBodySize": len(stored.get("request_body") or ""),
            "responseBodySize": len(stored.get("response_body") or ""),
            "delayMs": stored.get("latency") or 0,
            "heliconeRequestId": row.request_id,
            "customProperties": _custom(properties.items()),
        },
    }


def _custom(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in items if k.lower() != SENT_PROPERTY.lower()}


def _json_object(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _iso(clickhouse_time: str) -> str:
    """`YYYY-MM-DD HH:MM:SS.mmm` (UTC) as ISO 8601."""
    return clickhouse_time.replace(" ", "T") + "Z" if clickhouse_time else ""

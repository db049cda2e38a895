"""The log pipeline's stored-rows listener: matching rows become queued deliveries.

Called on the event loop with every stored batch (again on replay). Rows of organizations
without webhooks cost one regex search; only rows of organizations with webhooks are
parsed, filtered and sampled, and their deliveries are written to the durable queue
before the listener returns (the spool segment is deleted right after).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from heliograph.webhooks.payload import build_payload
from heliograph.webhooks.queue import DeliveryQueue, NewDelivery
from heliograph.webhooks.rules import WebhookConfig
from heliograph.webhooks.store import WebhookStore

log = logging.getLogger("heliograph.webhooks")

# The row's own organization id comes before any nested object in a RowBuilder line, and
# inside a JSON string the quotes would be escaped, so the first match is the real one.
_ORGANIZATION_ID = re.compile(rb'"organization_id":"([0-9a-fA-F-]{36})"')


@dataclass(frozen=True, slots=True)
class _Target:
    webhook_id: str
    config: WebhookConfig


class WebhookDispatcher:
    def __init__(
        self, store: WebhookStore, queue: DeliveryQueue, on_queued: Callable[[], None]
    ) -> None:
        self._store = store
        self._queue = queue
        self._on_queued = on_queued
        self._targets: dict[bytes, list[_Target]] = {}

    def refresh(self) -> None:
        """Reload which organizations have webhooks (blocking: call from a thread at runtime)."""
        targets: dict[bytes, list[_Target]] = {}
        for hook in self._store.all_webhooks():
            key = hook.organization_id.lower().encode()
            targets.setdefault(key, []).append(_Target(hook.id, hook.config))
        self._targets = targets  # swapped whole: the listener never sees a half-built map

    @property
    def organizations(self) -> int:
        return len(self._targets)

    async def __call__(self, lines: Sequence[bytes]) -> None:
        targets = self._targets
        if not targets:
            return
        deliveries: list[NewDelivery] = []
        for line in lines:
            match = _ORGANIZATION_ID.search(line)
            if match is None:
                continue
            if match.group(1).lower() in targets:
                deliveries.extend(_deliveries(line, targets))
        if not deliveries:
            return
        try:
            await asyncio.to_thread(self._queue.enqueue, deliveries)
        except Exception:
            log.exception("could not queue %d webhook deliveries", len(deliveries))
            return
        self._on_queued()


def _deliveries(line: bytes, targets: dict[bytes, list[_Target]]) -> list[NewDelivery]:
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        return []
    request_id = row.get("request_id")
    organization_id = row.get("organization_id")
    if not isinstance(request_id, str) or not isinstance(organization_id, str):
        return []
    # The parsed row decides whose webhooks get it, never the quick match alone.
    hooks = targets.get(organization_id.lower().encode(), [])
    properties = row.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    payloads: dict[bool, bytes] = {}
    deliveries = []
    for hook in hooks:
        if not hook.config.matches(request_id, properties):
            continue
        include = hook.config.include_data
        if include not in payloads:
            payloads[include] = build_payload(row, include)
        deliveries.append(
            NewDelivery(hook.webhook_id, organization_id, request_id.lower(), payloads[include])
        )
    return deliveries

"""The log pipeline's stored-rows listener: matching rows become queued deliveries.

Called on the event loop with every stored batch (again on replay). Rows of organizations
without webhooks cost one dictionary lookup; only rows of organizations with webhooks are
parsed, filtered and sampled, and their deliveries are written to the durable queue
before the listener returns (the spool segment is deleted right after).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from heliograph.store.log_row import LogRow
from heliograph.webhooks.payload import build_payload
from heliograph.webhooks.queue import DeliveryQueue, NewDelivery
from heliograph.webhooks.rules import WebhookConfig
from heliograph.webhooks.store import WebhookStore

log = logging.getLogger("heliograph.webhooks")


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
        self._targets: dict[str, list[_Target]] = {}  # by organization id, lower case

    def refresh(self) -> None:
        """Reload which organizations have webhooks (blocking: call from a thread at runtime)."""
        targets: dict[str, list[_Target]] = {}
        for hook in self._store.all_webhooks():
            key = hook.organization_id.lower()
            targets.setdefault(key, []).append(_Target(hook.id, hook.config))
        self._targets = targets  # swapped whole: the listener never sees a half-built map

    @property
    def organizations(self) -> int:
        return len(self._targets)

    async def __call__(self, rows: Sequence[LogRow]) -> None:
        targets = self._targets
        if not targets:
            return
        deliveries: list[NewDelivery] = []
        for row in rows:
            hooks = targets.get(row.organization_id.lower())
            if hooks is not None:
                deliveries.extend(_deliveries(row, hooks))
        if not deliveries:
            return
        try:
            await asyncio.to_thread(self._queue.enqueue, deliveries)
        except Exception:
            log.exception("could not queue %d webhook deliveries", len(deliveries))
            return
        self._on_queued()


def _deliveries(row: LogRow, hooks: list[_Target]) -> list[NewDelivery]:
    """The row's deliveries to the organization's webhooks whose filters it passes."""
    try:
        stored = orjson.loads(row.line)  # the payload carries the whole row
    except orjson.JSONDecodeError:
        return []
    properties = stored.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    payloads: dict[bool, bytes] = {}
    deliveries = []
    for hook in hooks:
        if not hook.config.matches(row.request_id, properties):
            continue
        include = hook.config.include_data
        if include not in payloads:
            payloads[include] = build_payload(stored, include)
        deliveries.append(
            NewDelivery(
                hook.webhook_id, row.organization_id, row.request_id.lower(), payloads[include]
            )
        )
    return deliveries

"""Webhooks wired together: the store, the queue, the pipeline listener and the worker."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from heliograph.config import Settings
from heliograph.outbound.policy import OutboundPolicy
from heliograph.pipeline.writer import LogPipeline
from heliograph.webhooks.delivery import DeliveryWorker, RetryPolicy
from heliograph.webhooks.dispatcher import WebhookDispatcher
from heliograph.webhooks.payload import sample_payload
from heliograph.webhooks.queue import DeliveryQueue
from heliograph.webhooks.rules import WebhookConfig
from heliograph.webhooks.store import NewWebhook, WebhookStore


@dataclass(frozen=True)
class WebhookTestResult:
    """What a test delivery did: the destination's status, and the error when it failed."""

    webhook_id: str
    request_id: str  # the made-up request the payload describes
    status_code: int | None
    error: str | None
    duration_ms: int


class Webhooks:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        fernet: Fernet,
        settings: Settings,
        pipeline: LogPipeline,
    ) -> None:
        self.store = WebhookStore(sessions, fernet)
        self.queue = DeliveryQueue(sessions)
        policy = RetryPolicy(
            timeout_s=settings.webhook_timeout_s,
            base_ms=settings.webhook_retry_base_ms,
            window_s=settings.webhook_retry_window_s,
        )
        self.outbound = OutboundPolicy.from_settings(settings)
        self.worker = DeliveryWorker(
            self.queue, self.store.decrypt, policy, self._refresh, self.outbound
        )
        self.dispatcher = WebhookDispatcher(self.store, self.queue, self.worker.wake)
        # Loaded before the pipeline starts: its start-up replay already calls the listener.
        self.dispatcher.refresh()
        pipeline.add_listener(self.dispatcher)

    def _refresh(self) -> None:
        self.dispatcher.refresh()

    async def start(self) -> None:
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()

    async def create(
        self, organization_id: str, destination: str, config: WebhookConfig
    ) -> NewWebhook:
        """Save a webhook whose destination the outbound policy allows (else a 400)."""
        await self.outbound.check_destinations("destination", [destination])
        created = await asyncio.to_thread(self.store.create, organization_id, destination, config)
        await asyncio.to_thread(self.dispatcher.refresh)
        return created

    async def send_test(self, organization_id: str, webhook_id: str) -> WebhookTestResult | None:
        """Send the webhook a signed test delivery now and say what happened; None when the
        organization has no such webhook."""
        info = await asyncio.to_thread(self.store.get, organization_id, webhook_id)
        if info is None:
            return None
        request_id = str(uuid.uuid4())
        payload = sample_payload(request_id, info.config.include_data)
        status_code, error, duration_ms = await self.worker.send_test(
            info.destination, info.encrypted_hmac_key, payload
        )
        return WebhookTestResult(info.id, request_id, status_code, error, duration_ms)

    async def delete(self, organization_id: str, webhook_id: str) -> bool:
        deleted = await asyncio.to_thread(self.store.delete, organization_id, webhook_id)
        if deleted:
            await asyncio.to_thread(self.dispatcher.refresh)
        return deleted

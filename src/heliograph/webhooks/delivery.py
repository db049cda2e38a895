"""The delivery worker: sends due deliveries, retries with exponential backoff, logs attempts.

One asyncio task claims due deliveries from the durable queue and sends each in its own
task (at most MAX_IN_FLIGHT at once) through a connection pool of its own, so a slow
receiver never touches the request path. A 2xx answer delivers; anything else (another
status, a timeout, a refused connection) is retried after base * 2^(attempt-1), capped at
an hour, until the retry window (24 h by default) from the first queueing has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken

from heliograph.httpclient.pool import ConnectionPool
from heliograph.leased_work import LeasedWorker
from heliograph.outbound.policy import OutboundPolicy
from heliograph.webhooks.queue import FAILED, ClaimedDelivery, DeliveryQueue, utcnow
from heliograph.webhooks.signing import SIGNATURE_HEADER, sign

log = logging.getLogger("heliograph.webhooks")

MAX_IN_FLIGHT = 16
MAX_BACKOFF = timedelta(hours=1)
IDLE_POLL_S = 5.0  # look again this often even when nothing is due (other processes queue too)
REFRESH_EVERY_S = 30.0  # re-read which organizations have webhooks (other processes edit too)
MIN_WAIT_S = 0.02  # rows another process holds locked look due until its claim commits
USER_AGENT = "Heliograph-Webhooks/1"
TEST_TIMEOUT_S = 30.0  # a test delivery is waited for by its caller
MAX_TEST_SENDS = 4  # test deliveries in flight at once, per process


@dataclass(frozen=True)
class RetryPolicy:
    timeout_s: float = 120.0
    base_ms: int = 10_000
    window_s: float = 24 * 3600

    def retry_at(self, delivery: ClaimedDelivery, attempt: int, now: datetime) -> datetime | None:
        """When to try again after failed attempt number `attempt`, or None to give up."""
        delay = min(timedelta(milliseconds=self.base_ms * 2 ** (attempt - 1)), MAX_BACKOFF)
        delay *= 1 + random.random() * 0.1  # spread retries of many deliveries apart
        at = now + delay
        return at if at <= delivery.created_at + timedelta(seconds=self.window_s) else None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout_s + 30)


class DeliveryWorker(LeasedWorker):
    def __init__(
        self,
        queue: DeliveryQueue,
        decrypt: Callable[[str], str],
        policy: RetryPolicy,
        refresh: Callable[[], None],
        outbound: OutboundPolicy,
    ) -> None:
        super().__init__("webhook-delivery", queue.release)
        self._outbound = outbound
        self._queue = queue
        self._decrypt = decrypt
        self._policy = policy
        self._refresh = refresh
        self._pool: ConnectionPool | None = None
        self._test_slots = asyncio.Semaphore(MAX_TEST_SENDS)

    async def start(self) -> None:
        timeout_s = self._policy.timeout_s
        # Each connection is checked against the outbound policy: a destination accepted
        # when it was created may resolve to a forbidden address by the time it is called.
        self._pool = ConnectionPool(
            connect_timeout_s=timeout_s, read_timeout_s=timeout_s, policy=self._outbound
        )
        await super().start()

    async def stop(self) -> None:
        """Stop claiming, let sends in flight finish briefly, hand the rest back to the queue."""
        await super().stop()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    async def _run(self) -> None:
        last_refresh = time.monotonic()
        while not self._stopping:
            self._wake.clear()
            wait_s = IDLE_POLL_S
            try:
                if time.monotonic() - last_refresh >= REFRESH_EVERY_S:
                    last_refresh = time.monotonic()
                    await asyncio.to_thread(self._refresh)
                free = MAX_IN_FLIGHT - len(self._in_flight)
                claimed, next_due = await asyncio.to_thread(
                    self._queue.claim_due, free, self._policy.lease
                )
                for delivery in claimed:
                    self._in_flight[delivery.id] = asyncio.create_task(self._send(delivery))
                if next_due is not None:
                    due_in = (next_due - utcnow()).total_seconds()
                    wait_s = min(wait_s, max(MIN_WAIT_S, due_in))
                if len(self._in_flight) >= MAX_IN_FLIGHT:
                    wait_s = IDLE_POLL_S  # woken when a send finishes
            except Exception:
                log.exception("webhook delivery loop failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)

    async def _send(self, delivery: ClaimedDelivery) -> None:
        try:
            status_code, error, duration_ms = await self._post(delivery)
            attempted_at = utcnow()
            attempt = delivery.attempts + 1
            retry_at = (
                None if error is None else self._policy.retry_at(delivery, attempt, attempted_at)
            )
            outcome = await asyncio.to_thread(
                self._queue.record_attempt,
                delivery,
                status_code,
                error,
                duration_ms,
                attempted_at,
                retry_at,
            )
            if outcome == FAILED:
                # No destination or error text here: URLs may carry tokens (Slack, Zapier).
                log.warning(
                    "webhook %s: gave up on request %s after %d attempts",
                    delivery.webhook_id,
                    delivery.request_id,
                    attempt,
                )
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease runs out and the delivery is tried again
            log.exception("webhook %s: recording a delivery attempt failed", delivery.webhook_id)
        finally:
            if self._in_flight.get(delivery.id) is asyncio.current_task():
                del self._in_flight[delivery.id]
            self._wake.set()

    async def _post(self, delivery: ClaimedDelivery) -> tuple[int | None, str | None, int]:
        """One attempt: (status code, error or None on success, duration in ms)."""
        return await self._post_to(
            delivery.destination,
            delivery.encrypted_hmac_key,
            delivery.payload,
            self._policy.timeout_s,
        )

    async def send_test(
        self, destination: str, encrypted_hmac_key: str, payload: bytes
    ) -> tuple[int | None, str | None, int]:
        """Send one signed test delivery now, as a queued one is sent but neither queued nor
        retried nor logged: (status code, error or None on success, duration in ms). A
        caller waits for it, so it gets at most TEST_TIMEOUT_S, and MAX_TEST_SENDS at once."""
        timeout_s = min(self._policy.timeout_s, TEST_TIMEOUT_S)
        try:
            async with asyncio.timeout(timeout_s):
                await self._test_slots.acquire()
        except TimeoutError:
            return None, f"too many test deliveries at once; none free in {timeout_s:g}s", 0
        try:
            return await self._post_to(destination, encrypted_hmac_key, payload, timeout_s)
        finally:
            self._test_slots.release()

    async def _post_to(
        self, destination: str, encrypted_hmac_key: str, payload: bytes, timeout_s: float
    ) -> tuple[int | None, str | None, int]:
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            secret = self._decrypt(encrypted_hmac_key)
        except InvalidToken:
            return None, "the webhook secret cannot be decrypted with this server's secret key", 0
        headers = [
            ("Content-Type", "application/json"),
            ("User-Agent", USER_AGENT),
            (SIGNATURE_HEADER, sign(secret, payload)),
        ]
        if self._pool is None:
            return None, "webhook delivery is not running in this process", 0
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._pool.request("POST", destination, headers, payload)
                status_code = response.status
                await response.skip_body(64 * 1024)  # a short answer leaves the socket reusable
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except TimeoutError:
            error = f"timed out after {timeout_s:g}s"
        except Exception as exc:  # refused, reset, TLS, bad URL...: all retried the same way
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = round((time.monotonic() - started) * 1000)
        return status_code, error, duration_ms

"""Telling people an alert triggered or resolved: webhooks (JSON POST) and e-mail (SMTP).

Every delivery has a timeout and yields a result entry for the alert's history instead of
raising. E-mail goes through smtplib in a worker thread. The SMTP password is never logged,
and webhook URLs appear only redacted (a Slack webhook's path is its secret).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import orjson

from heliograph.alerts.definition import ERROR_RATE, redacted_url
from heliograph.alerts.store import HistoryEntry, StoredAlert
from heliograph.config import Settings
from heliograph.httpclient.pool import ConnectionPool
from heliograph.outbound.policy import OutboundPolicy

log = logging.getLogger("heliograph.alerts")

UNITS = {ERROR_RATE: "%", "cost": " USD", "latency": " ms", "count": " requests"}
LABELS = {ERROR_RATE: "Error rate", "cost": "Cost", "latency": "Latency", "count": "Requests"}


@dataclass(frozen=True)
class AlertEvent:
    """A state change to announce: `event` is "triggered" or "resolved"."""

    event: str
    alert: StoredAlert
    history: HistoryEntry
    value: float
    request_count: int
    at: datetime


def _window_text(ms: int) -> str:
    seconds = ms // 1000
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} second(s)"


def _amount(metric: str, value: float) -> str:
    unit = UNITS.get(metric, " tokens" if metric.endswith("tokens") else "")
    return f"{value:.6g}{unit}"


def summary(event: AlertEvent) -> str:
    spec = event.alert.spec
    label = LABELS.get(spec.metric, spec.metric.replace("_", " ").capitalize())
    value = _amount(spec.metric, event.value)
    threshold = _amount(spec.metric, spec.threshold)
    window = _window_text(spec.time_window)
    if event.event == "triggered":
        return (
            f"Alert '{spec.name}' triggered: {label} is {value} over the last {window}, "
            f"at or above the threshold of {threshold} ({event.request_count} requests)."
        )
    return (
        f"Alert '{spec.name}' resolved: {label} is back under {threshold} "
        f"({value} over the last {window})."
    )


# Other targets of the same alert stay private: a webhook URL is a secret of its own.
PRIVATE_FIELDS = ("emails", "webhook_urls", "notifications")


def webhook_payload(event: AlertEvent) -> dict[str, Any]:
    alert = event.alert.to_json() | {"status": event.event}
    history = event.history.to_json()
    for name in PRIVATE_FIELDS:
        alert.pop(name, None)
        history.pop(name, None)
    return {
        "event": f"alert.{event.event}",
        "status": event.event,
        "text": summary(event),  # what Slack and similar incoming webhooks display
        "alert": alert,
        "history": history,
        "value": event.value,
        "threshold": event.alert.spec.threshold,
        "request_count": event.request_count,
        "time_window": event.alert.spec.time_window,
        "timestamp": event.at.isoformat(),
    }


def _result(
    channel: str, target: str, event: str, error: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "channel": channel,
        "target": target,
        "event": event,
        "ok": error is None,
        "error": error,
        "at": datetime.now(UTC).isoformat(),
        **extra,
    }


_JSON_POST = [("Content-Type", "application/json"), ("User-Agent", "Heliograph-Alerts")]


class Notifier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._timeout = settings.alert_notify_timeout_s
        self._http: ConnectionPool | None = None
        self.policy = OutboundPolicy.from_settings(settings)

    async def open(self) -> None:
        # Every send re-checks the URL's addresses: a name may resolve elsewhere by now.
        self._http = ConnectionPool(
            connect_timeout_s=self._timeout, read_timeout_s=self._timeout, policy=self.policy
        )

    async def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    async def deliver(self, event: AlertEvent) -> list[dict[str, Any]]:
        """Send `event` to every target of its alert; one result entry per target."""
        spec = event.alert.spec
        jobs = [self._post(url, event) for url in spec.webhook_urls]
        results = list(await asyncio.gather(*jobs))
        if spec.emails:
            results.extend(await self._email(spec.emails, event))
        return results

    async def _post(self, url: str, event: AlertEvent) -> dict[str, Any]:
        shown = redacted_url(url)
        error: str | None = None
        status: int | None = None
        try:
            if self._http is None:
                raise RuntimeError("notifier is closed")
            body = orjson.dumps(webhook_payload(event))
            async with asyncio.timeout(self._timeout):
                response = await self._http.request("POST", url, _JSON_POST, body)
                status = response.status
                await response.skip_body(64 * 1024)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except TimeoutError:
            error = f"timed out after {self._timeout:g}s"
        except Exception as exc:  # any failure is recorded, never raised
            error = f"{type(exc).__name__}: {exc}"[:300]
        if error is not None:
            log.warning("alert %s: webhook %s failed: %s", event.alert.id, shown, error)
        return _result("webhook", shown, event.event, error, status=status)

    async def _email(self, recipients: list[str], event: AlertEvent) -> list[dict[str, Any]]:
        if not self._settings.smtp_host:
            error = "e-mail is not configured (set HELIOGRAPH_SMTP_HOST)"
            return [_result("email", to, event.event, error) for to in recipients]
        try:
            refused = await asyncio.wait_for(
                asyncio.to_thread(self._send_email, recipients, event), self._timeout * 3
            )
        except TimeoutError:
            refused = dict.fromkeys(recipients, f"timed out after {self._timeout:g}s")
        except Exception as exc:  # smtplib and socket errors; the password is never in them
            refused = dict.fromkeys(recipients, f"{type(exc).__name__}: {exc}"[:300])
        for to, error in refused.items():
            log.warning("alert %s: e-mail to %s failed: %s", event.alert.id, to, error)
        return [_result("email", to, event.event, refused.get(to)) for to in recipients]

    def _send_email(self, recipients: list[str], event: AlertEvent) -> dict[str, str]:
        settings = self._settings
        message = EmailMessage()
        message["Subject"] = f"Alert {event.event.capitalize()}: {event.alert.spec.name}"
        message["From"] = settings.smtp_from
        message["To"] = ", ".join(recipients)
        message.set_content(summary(event) + "\n\n" + _details(event))
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=self._timeout) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            refused = smtp.send_message(message, to_addrs=recipients)
        return {
            to: f"refused: {code} {reply.decode(errors='replace')}"
            for to, (code, reply) in refused.items()
        }


def _details(event: AlertEvent) -> str:
    spec = event.alert.spec
    lines = [
        f"Alert: {spec.name} ({event.alert.id})",
        f"Status: {event.event}",
        f"Metric: {spec.metric}",
        f"Value: {_amount(spec.metric, event.value)}",
        f"Threshold: {_amount(spec.metric, spec.threshold)}",
        f"Time window: {_window_text(spec.time_window)}",
        f"Requests in window: {event.request_count}",
        f"Time: {event.at.isoformat()}",
    ]
    return "\n".join(lines)

"""The periodic alert check: measure each enabled rule, fire once per breach, resolve.

Like Helicone's alert cron: a rule triggers when its metric reaches the threshold with at
least `minimum_request_count` requests in the window, and resolves once the metric has
stayed under the threshold for the resolve cooldown (Helicone: 5 minutes), whatever the
request count. State lives in the metadata DB, so a restart neither forgets nor repeats a
breach. Notifications run as their own tasks, off the evaluation loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from heliograph.alerts.metrics import Measurement, measure
from heliograph.alerts.notify import AlertEvent, Notifier
from heliograph.alerts.store import RESOLVED, AlertStore, HistoryEntry, StoredAlert
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import FilterError

log = logging.getLogger("heliograph.alerts")

TRIGGER = "trigger"
RESOLVE = "resolve"
HOLD = "hold"


@dataclass(frozen=True)
class Decision:
    action: str  # TRIGGER | RESOLVE | HOLD
    cooldown_started_at: datetime | None = None


def decide(alert: StoredAlert, measured: Measurement, now: datetime, cooldown_s: float) -> Decision:
    spec = alert.spec
    if measured.value >= spec.threshold:
        enough = measured.request_count >= (spec.minimum_request_count or 0)
        if alert.status == RESOLVED and enough:
            return Decision(TRIGGER)
        return Decision(HOLD)  # still breached (or too few requests to say): no cooldown
    if alert.status == RESOLVED:
        return Decision(HOLD)
    started = alert.cooldown_started_at or now
    if (now - started).total_seconds() >= cooldown_s:
        return Decision(RESOLVE)
    return Decision(HOLD, cooldown_started_at=started)


class AlertEvaluator:
    def __init__(
        self,
        store: AlertStore,
        engine: ClickHouseEngine,
        notifier: Notifier,
        interval_s: float,
        cooldown_s: float,
    ) -> None:
        self._store = store
        self._engine = engine
        self._notifier = notifier
        self._interval_s = interval_s
        self._cooldown_s = cooldown_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._recording = asyncio.Lock()

    async def start(self) -> None:
        await self._notifier.open()
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name="alert-evaluator")

    async def stop(self, grace_s: float = 5.0) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._deliveries:
            _, pending = await asyncio.wait(self._deliveries, timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._notifier.close()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the metadata DB may be briefly away; try again next time
                log.exception("alert evaluation failed")
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._interval_s)
            except TimeoutError:
                pass

    async def run_once(self) -> None:
        """Evaluate every enabled rule once; one rule's failure does not stop the others."""
        alerts = await asyncio.to_thread(self._store.enabled_alerts)
        for alert in alerts:
            if self._stop.is_set():
                return
            try:
                await self._evaluate(alert)
            except FilterError as exc:
                await self._mark_broken(alert, exc)
            except Exception:
                log.exception("alert %s: evaluation failed", alert.id)

    async def _mark_broken(self, alert: StoredAlert, error: FilterError) -> None:
        """A filter that cannot be compiled never will be: say so once and stop evaluating."""
        entry = await asyncio.to_thread(self._store.mark_broken, alert, datetime.now(UTC))
        if entry is not None:
            log.warning(
                "alert %s: its filter cannot be evaluated (%s); marked broken until edited",
                alert.id,
                error.message,
            )

    async def _evaluate(self, alert: StoredAlert) -> None:
        measured = await measure(self._engine, alert.organization_id, alert.spec)
        now = datetime.now(UTC)
        decision = decide(alert, measured, now, self._cooldown_s)
        await asyncio.to_thread(
            self._store.record_evaluation,
            alert.id,
            measured.value,
            measured.request_count,
            now,
            decision.cooldown_started_at,
        )
        if decision.action == HOLD:
            return
        entry: HistoryEntry | None
        if decision.action == TRIGGER:
            event = "triggered"
            entry = await asyncio.to_thread(
                self._store.trigger, alert, measured.value, measured.request_count, now
            )
        else:
            event = "resolved"
            entry = await asyncio.to_thread(self._store.resolve, alert, measured.value, now)
        if entry is None:  # another process (or an edit) changed the state first
            return
        log.info("alert %s %s: value %g", alert.id, event, measured.value)
        self._spawn(AlertEvent(event, alert, entry, measured.value, measured.request_count, now))

    def _spawn(self, event: AlertEvent) -> None:
        task = asyncio.create_task(self._deliver(event), name=f"alert-notify-{event.alert.id}")
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, event: AlertEvent) -> None:
        try:
            results = await self._notifier.deliver(event)
            async with self._recording:  # history rows are updated read-modify-write
                await asyncio.to_thread(self._store.add_notifications, event.history.id, results)
        except Exception:
            log.exception("alert %s: recording notifications failed", event.alert.id)

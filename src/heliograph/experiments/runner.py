"""The experiment runner: claims due outputs of running experiments and makes their calls.

One asyncio task claims outputs and runs each in its own task: at most `concurrency` calls
at once in all, shared fairly (organizations take turns for each free slot, and within one
organization its running experiments do), and at most each experiment's own concurrency.
A call that is rate limited or meets a server error is tried again twice with backoff; any
other failure is the cell's, kept with its error. A run ends when nothing of it is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta

from heliograph.experiments.calls import GatewayCall, Outcome, run_cell
from heliograph.experiments.cells import Cell, CellQueue, RunningExperiment
from heliograph.leased_work import LeasedWorker
from heliograph.meta.models import utcnow
from heliograph.store.engine import ClickHouseEngine

log = logging.getLogger("heliograph.experiments")
IDLE_POLL_S = 2.0
MIN_WAIT_S = 0.02
MAX_ATTEMPTS = 3
RATE_LIMITED_WAIT_S = 5.0  # before a call a rate limit held back is tried again
# (organization id, experiment id, request id): score a call that succeeded.
ScoreDone = Callable[[str, str, str], Awaitable[None]]


def fair_shares(running: list[RunningExperiment], room: Counter[str], free: int) -> Counter[str]:
    """How many new calls each experiment may start: organizations take turns for each of
    the `free` slots, each passing it to its experiments in turn; `room` is what each
    experiment has left of its own concurrency."""
    by_org: dict[str, list[str]] = defaultdict(list)
    for experiment in running:
        by_org[experiment.organization_id].append(experiment.id)
    granted: Counter[str] = Counter()
    turn: Counter[str] = Counter()
    while free > 0:
        gave = False
        for org, experiments in by_org.items():
            open_ = [e for e in experiments if granted[e] < room[e]]
            if free > 0 and open_:
                chosen = open_[turn[org] % len(open_)]
                turn[org] += 1
                granted[chosen] += 1
                free -= 1
                gave = True
        if not gave:
            break
    return granted


class ExperimentRunner(LeasedWorker):
    def __init__(
        self,
        queue: CellQueue,
        call: GatewayCall,
        engine: ClickHouseEngine,
        score: ScoreDone,
        *,
        concurrency: int,
        timeout_s: float,
    ) -> None:
        super().__init__("experiments", queue.release)
        self._queue, self._call, self._engine, self._score = queue, call, engine, score
        self._concurrency = concurrency
        self._timeout_s = timeout_s
        self._lease = timedelta(seconds=timeout_s + 10)
        self._per_experiment: Counter[str] = Counter()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            wait_s = IDLE_POLL_S
            try:
                next_due = await self._claim()
                if next_due is not None:
                    wait_s = min(wait_s, max(MIN_WAIT_S, next_due))
            except Exception:
                log.exception("the experiment runner failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)

    async def _claim(self) -> float | None:
        """Start what may start; seconds until the next pending output is due, if any."""
        running = await asyncio.to_thread(self._queue.running)
        free = self._concurrency - len(self._in_flight)
        room = Counter({e.id: max(0, e.concurrency - self._per_experiment[e.id]) for e in running})
        shares = fair_shares(running, room, free)
        soonest: float | None = None
        for experiment in running:
            if not shares[experiment.id] and (self._per_experiment[experiment.id] or free <= 0):
                continue  # nothing to start; its calls in flight will wake the loop
            cells, next_due = await asyncio.to_thread(
                self._queue.claim_due, experiment.id, shares[experiment.id], self._lease
            )
            for cell in cells:
                self._per_experiment[cell.experiment_id] += 1
                self._in_flight[cell.id] = asyncio.create_task(self._make(cell))
            if next_due is None and not self._per_experiment[experiment.id]:
                await asyncio.to_thread(self._queue.finish, experiment.id)
            elif next_due is not None and room[experiment.id] > shares[experiment.id]:
                due_in = (next_due - utcnow()).total_seconds()
                soonest = due_in if soonest is None else min(soonest, due_in)
        return soonest

    async def _make(self, cell: Cell) -> None:
        try:
            result = await self._attempt(cell)
            retry_at = None
            if result.rate_limited:  # the run's own policy: waited out, however long
                retry_at = utcnow() + timedelta(seconds=RATE_LIMITED_WAIT_S)
            elif result.error is not None and result.retry and cell.attempts + 1 < MAX_ATTEMPTS:
                retry_at = utcnow() + timedelta(seconds=2 ** (cell.attempts + 1))
            counted = not result.rate_limited
            status = await asyncio.to_thread(
                self._queue.record, cell.id, result.error, retry_at, counted
            )
            if status == "done":
                await self._score(cell.organization_id, cell.experiment_id, cell.request_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # the lease runs out and the output is claimed again
            log.exception("experiment call %s failed", cell.request_id)
        finally:
            if self._in_flight.get(cell.id) is asyncio.current_task():
                del self._in_flight[cell.id]
                self._per_experiment[cell.experiment_id] -= 1
            self._wake.set()

    async def _attempt(self, cell: Cell) -> Outcome:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await run_cell(self._call, self._engine, cell)
        except TimeoutError:
            return Outcome(f"The call took longer than {self._timeout_s:g} s", retry=True)

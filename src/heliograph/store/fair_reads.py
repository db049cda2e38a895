"""Fair shares of the analytics engine between organizations.

chDB runs one query at a time, so whoever queues first is served first: four 30 s
queries of one organization held another's request query for 89 s. Here reads wait in
one queue per organization and are handed to the engine one at a time, the organizations
taken in turn. An organization with no read waiting goes to the front of the line: its
read waits behind the running query only, whatever another organization has queued; an
organization with reads waiting gets one turn per round. The log writer's inserts (which
do not queue here) wait behind at most one read. A read whose caller goes away while it
waits is dropped.

The organization a task reads for is `reading_for`, set by the API for the request
(api/fair_reads.py); reads of the server itself (alerts, the schema) share the "" queue.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import TypeVar

from heliograph.errors import HeliographError

_T = TypeVar("_T")

reading_for: ContextVar[str] = ContextVar("reading_for", default="")


class ReadsBusy(HeliographError):
    """An organization's reads stayed at its limit for longer than a read may wait."""

    status = 429


class RoundRobin:
    """Hands reads to a one-thread executor one at a time, organizations in turn."""

    def __init__(self, executor: concurrent.futures.Executor) -> None:
        self._executor = executor
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._busy = False

    async def run(self, fn: Callable[[], _T]) -> _T:
        """Run `fn` on the executor when its organization's turn comes."""
        turn = asyncio.get_running_loop().create_future()
        organization = reading_for.get()
        if organization in self._waiting:
            self._waiting[organization].append(turn)
        else:
            self._waiting[organization] = deque([turn])
            self._waiting.move_to_end(organization, last=False)
        self._hand_over()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # the turn came as the caller left: pass it on
            raise  # still queued: the cancelled future is skipped by _hand_over
        return await self._submit(fn)

    async def _submit(self, fn: Callable[[], _T]) -> _T:
        loop = asyncio.get_running_loop()
        work = self._executor.submit(fn)
        # The turn ends when the thread is done with the query, not when its caller
        # stops waiting: a running query cannot be taken back.
        work.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        return await asyncio.wrap_future(work)

    def _release(self) -> None:
        self._busy = False
        self._hand_over()

    def _hand_over(self) -> None:
        while not self._busy and self._waiting:
            organization, turns = self._waiting.popitem(last=False)
            turn = turns.popleft()
            if turns:
                self._waiting[organization] = turns  # to the back of the line
            if not turn.done():  # a cancelled wait is dropped here
                self._busy = True
                turn.set_result(None)


class OrgSlots:
    """At most `per_org` reads of one organization at a time; the next waits `wait_s`."""

    def __init__(self) -> None:
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def held(self, organization: str, per_org: int, wait_s: float) -> AsyncIterator[None]:
        slot = self._slots.setdefault(organization, asyncio.Semaphore(per_org))
        self._users[organization] = self._users.get(organization, 0) + 1
        try:
            try:
                async with asyncio.timeout(wait_s):
                    await slot.acquire()
            except TimeoutError:
                raise ReadsBusy(
                    f"Too many queries of this organization are running: none finished "
                    f"within {wait_s:g} s; try again later"
                ) from None
            try:
                yield
            finally:
                slot.release()
        finally:
            self._users[organization] -= 1
            if not self._users[organization]:  # forget idle organizations
                del self._users[organization], self._slots[organization]

"""The API side of fair reads: a request that reads the analytics store holds one of its
organization's read slots, reads in its organization's turn (store/fair_reads.py), and is
cancelled when its client goes away, so that a query nobody waits for anymore leaves the
queue (or, streamed, stops at its next block).

Routes use `Reader` where they would use `Caller`: the same principal, with the slot held.
HQL routes have their own (api/hql.py), which answers a full queue in HQL's envelope.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request

from heliograph.api.access import reading_dependency
from heliograph.api.auth import require_principal
from heliograph.api.services import services_of
from heliograph.errors import HeliographError
from heliograph.meta.keys import Principal
from heliograph.store.fair_reads import ReadsBusy, reading_for


class ClientGone(HeliographError):
    """The client disconnected before its answer: nobody reads this error."""

    status = 499


@contextlib.asynccontextmanager
async def read_turn(
    request: Request, organization: str, busy: Callable[[ReadsBusy], Exception] = lambda e: e
) -> AsyncIterator[None]:
    """Hold a read slot of `organization`; `busy` makes the error of a full queue."""
    settings = services_of(request).settings
    slots = services_of(request).engine.org_slots
    # Read the body now: from here on, the only message left to receive is the disconnect.
    await request.body()
    async with contextlib.AsyncExitStack() as stack:
        held = slots.held(organization, settings.reads_per_org, settings.read_queue_timeout_s)
        try:
            await stack.enter_async_context(held)
        except ReadsBusy as exc:
            raise busy(exc) from None
        token = reading_for.set(organization)
        try:
            with cancelled_on_disconnect(request):
                yield
        finally:
            reading_for.reset(token)


@reading_dependency  # a route holding a read slot only reads: a read-only key may call it
async def fair_reader(
    request: Request, caller: Annotated[Principal, Depends(require_principal)]
) -> AsyncIterator[Principal]:
    """The caller, holding a read slot of its organization until the route returns."""
    async with read_turn(request, caller.organization_id):
        yield caller


@contextlib.contextmanager
def cancelled_on_disconnect(request: Request) -> Iterator[None]:
    """Cancel the current task if the client disconnects inside the block; the
    cancellation comes out as ClientGone."""
    task = asyncio.current_task()
    assert task is not None
    gone = False

    async def watch() -> None:
        nonlocal gone
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone = True
        task.cancel()

    watcher = asyncio.create_task(watch())
    try:
        yield
    except asyncio.CancelledError:
        if not gone:
            raise
        task.uncancel()
        raise ClientGone("The client disconnected") from None
    finally:
        watcher.cancel()


Reader = Annotated[Principal, Depends(fair_reader, scope="function")]

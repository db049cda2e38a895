"""Where `heliograph import` logs its calls: a running server, or the data dir's store.

Both take Helicone's async-log bodies. A server logs each through `POST /custom/v1/log`,
like any manual logger; the store, opened here while no server holds the data dir, gets
the rows built by the same function the server uses (asynclog/calls.py document_row) and
stored through the log pipeline's sink, which notes a request id stored twice
(store/relogged.py). Either answers which request ids it already holds, so that a second
import of a file skips what the first stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from heliograph.cli_ops.request_source import TIMEOUT_S, ServerSource, SourceError
from heliograph.errors import HeliographError

if TYPE_CHECKING:
    from heliograph.pipeline.rows import RowBuilder
    from heliograph.store.engine import ClickHouseEngine

CONCURRENT_POSTS = 4
REJECTED_STATUSES = frozenset({400, 413, 422})  # the record's fault; anything else stops


@dataclass(frozen=True, slots=True)
class Pending:
    """A record converted and not yet logged."""

    where: str
    request_id: str
    document: dict[str, Any]


Rejection = tuple[str, str]  # (where, why)


class ImportTarget(Protocol):
    async def stored(self, request_ids: list[str]) -> set[str]:
        """Which of these request ids the organization already has."""

    async def log(self, batch: list[Pending]) -> list[Rejection]:
        """Log the batch; the records refused, each with why (the rest are logged)."""

    async def close(self) -> None: ...


def any_request_id(request_ids: list[str]) -> Any:
    """A filter AST matching any of the ids, as a balanced tree (the API limits depth)."""
    if len(request_ids) == 1:
        return {"request_response_rmt": {"request_id": {"equals": request_ids[0]}}}
    middle = len(request_ids) // 2
    return {
        "left": any_request_id(request_ids[:middle]),
        "operator": "or",
        "right": any_request_id(request_ids[middle:]),
    }


class ServerTarget:
    """A running server, through its REST API with a key of the organization."""

    def __init__(self, url: str, key: str) -> None:
        self._source = ServerSource(url, key)
        self._client = httpx.AsyncClient(
            base_url=self._source.url, headers={"Authorization": f"Bearer {key}"},
            timeout=TIMEOUT_S,
        )  # fmt: skip

    async def stored(self, request_ids: list[str]) -> set[str]:
        if not request_ids:
            return set()
        rows = await self._source.page(any_request_id(request_ids), 0, len(request_ids))
        return {row["request_id"] for row in rows}

    async def log(self, batch: list[Pending]) -> list[Rejection]:
        slots = asyncio.Semaphore(CONCURRENT_POSTS)

        async def post(item: Pending) -> Rejection | None:
            async with slots:
                return await self._post(item)

        answers = await asyncio.gather(*(post(item) for item in batch))
        return [answer for answer in answers if answer is not None]

    async def _post(self, item: Pending) -> Rejection | None:
        try:
            answer = await self._client.post("/custom/v1/log", json=item.document)
        except httpx.HTTPError as exc:
            raise SourceError(f"{self._source.url} cannot be reached: {exc}") from None
        if answer.status_code == 200:
            return None
        error = _error(answer)
        if answer.status_code in REJECTED_STATUSES:
            return item.where, error
        raise SourceError(f"{self._source.url} answered {answer.status_code}: {error}")

    async def close(self) -> None:
        await self._client.aclose()
        await self._source.close()


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error"))
    except ValueError:
        return answer.text[:200]


class StoreTarget:
    """The data dir's store, opened by this process (it holds the data dir's lock)."""

    def __init__(self, engine: ClickHouseEngine, organization_id: str, rows: RowBuilder) -> None:
        from heliograph.meta.keys import Principal
        from heliograph.pipeline.sink import ClickHouseSink

        self._engine = engine
        self._sink = ClickHouseSink(engine)
        self._principal = Principal(organization_id, "")  # no key logged these calls
        self._rows = rows

    async def stored(self, request_ids: list[str]) -> set[str]:
        organization = self._principal.organization_id.lower()
        keys = await self._sink.stored_request_keys([(organization, i) for i in request_ids])
        return {request_id for _, request_id in keys}

    async def log(self, batch: list[Pending]) -> list[Rejection]:
        from heliograph.asynclog.calls import LOG_ENDPOINTS, document_row

        built, rejected = [], []
        for item in batch:
            try:
                row, _ = document_row(
                    item.document, LOG_ENDPOINTS["/custom/v1/log"], [], self._principal,
                    self._rows, time.time(),
                )  # fmt: skip
            except HeliographError as exc:
                rejected.append((item.where, exc.message))
                continue
            built.append(row)
        if built:
            await self._sink.write(built)
        return rejected

    async def close(self) -> None:
        return None  # the engine is closed by whoever opened it

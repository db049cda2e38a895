"""Where `export` and `replay` read logged requests from: a running server's REST API, or
the data dir's store opened here when no server holds it (cli_ops/store_access.py).

Both answer pages of Helicone's request rows (`POST /v1/request/query-clickhouse`) for a
filter AST, oldest first, so the export's cursor works the same over either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import httpx

from heliograph.errors import HeliographError

if TYPE_CHECKING:
    from heliograph.store.engine import ClickHouseEngine

OLDEST_FIRST = {"created_at": "asc"}
MAX_PAGE = 1000  # the REST API's largest page
TIMEOUT_S = 120.0


class SourceError(HeliographError):
    """The source refused a query (a bad filter, a wrong key) or cannot be reached."""


class RequestSource(Protocol):
    async def page(self, filter_node: Any, offset: int, limit: int) -> list[dict[str, Any]]:
        """Rows matching `filter_node`, oldest first, from `offset`."""

    async def close(self) -> None: ...


class ServerSource:
    """A running server, through its REST API and an API key of the organization."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT_S
        )

    async def page(self, filter_node: Any, offset: int, limit: int) -> list[dict[str, Any]]:
        body = {"filter": filter_node, "sort": OLDEST_FIRST, "offset": offset, "limit": limit}
        try:
            answer = await self._client.post("/v1/request/query-clickhouse", json=body)
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.url} cannot be reached: {exc}") from None
        if answer.status_code != 200:
            raise SourceError(f"{self.url} answered {answer.status_code}: {_error(answer)}")
        return list(answer.json()["data"])

    async def get(self, request_id: str) -> dict[str, Any]:
        """One logged request of the key's organization."""
        try:
            answer = await self._client.get(f"/v1/request/{request_id}")
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.url} cannot be reached: {exc}") from None
        if answer.status_code != 200:
            raise SourceError(f"request {request_id}: {answer.status_code} {_error(answer)}")
        return dict(answer.json()["data"])

    async def close(self) -> None:
        await self._client.aclose()


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error"))
    except ValueError:
        return answer.text[:200]


class StoreSource:
    """The store opened in this process, read for one organization."""

    def __init__(self, engine: ClickHouseEngine, organization_id: str) -> None:
        self._engine = engine
        self._organization_id = organization_id

    async def page(self, filter_node: Any, offset: int, limit: int) -> list[dict[str, Any]]:
        from heliograph.store.requests import query_requests

        return await query_requests(
            self._engine,
            self._organization_id,
            filter_node,
            sort=OLDEST_FIRST,
            limit=limit,
            offset=offset,
        )

    async def close(self) -> None:
        return None  # the engine is closed by whoever opened it

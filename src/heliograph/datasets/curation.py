"""Curation: copy logged requests (by id, or those a filter AST matches) into a dataset.

Bodies are read from the log store when a request is added and kept in the row, so later
changes to the logs (a re-logged request, a retention purge) leave the dataset as it was.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from heliograph.datasets.copies import RowCopy, copy_of_logged
from heliograph.datasets.rows import RowStore
from heliograph.datasets.rules import MAX_FILTER_ROWS
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import NEWEST_FIRST
from heliograph.store.requests import ROW_COLUMNS, TABLE, query_requests, to_helicone_request

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
READ_PAGE = 200  # logged requests read at a time (with their bodies)


def _checked(request_ids: list[str]) -> list[str]:
    bad = [request_id for request_id in request_ids if not UUID.match(request_id)]
    if bad:
        raise InvalidRequestError(f"Not a request id: {bad[0][:64]}")
    return list(dict.fromkeys(request_id.lower() for request_id in request_ids))


async def logged_copies(
    engine: ClickHouseEngine, org: str, request_ids: list[str]
) -> list[RowCopy]:
    """Copies of the organization's requests, in the order given; NotFoundError naming the
    first id it has not logged (another organization's request is not found either)."""
    copies: dict[str, RowCopy] = {}
    for start in range(0, len(request_ids), READ_PAGE):
        rows = await engine.select(
            f"SELECT {ROW_COLUMNS} FROM {TABLE} WHERE organization_id = {{org:UUID}} "
            f"AND request_id IN {{ids:Array(UUID)}} {NEWEST_FIRST} LIMIT 1 BY request_id",
            {"org": org, "ids": request_ids[start : start + READ_PAGE]},
        )
        for row in rows:
            copy = copy_of_logged(to_helicone_request(row))
            copies[str(copy.origin_request_id)] = copy
    missing = [request_id for request_id in request_ids if request_id not in copies]
    if missing:
        raise NotFoundError(f"Request not found: {missing[0]}")
    return [copies[request_id] for request_id in request_ids]


async def add_requests(
    engine: ClickHouseEngine, rows: RowStore, org: str, dataset_id: str, request_ids: list[str]
) -> list[str]:
    """Copy the requests into the dataset (those it holds already are skipped); new row ids."""
    wanted = _checked(request_ids)
    held = await asyncio.to_thread(rows.held, org, dataset_id, wanted)
    fresh = [request_id for request_id in wanted if request_id not in held]
    copies = await logged_copies(engine, org, fresh)
    return await asyncio.to_thread(rows.add, org, dataset_id, copies)


async def add_matching(
    engine: ClickHouseEngine,
    rows: RowStore,
    org: str,
    dataset_id: str,
    filter_node: Any,
    limit: int,
    offset: int = 0,
) -> list[str]:
    """Copy up to `limit` requests the filter AST matches (newest first, from `offset`), a
    page at a time; each page is added in its own transaction."""
    added: list[str] = []
    read = 0
    while read < min(limit, MAX_FILTER_ROWS):
        size = min(READ_PAGE, limit - read)
        page = await query_requests(engine, org, filter_node, limit=size, offset=offset + read)
        copies = [copy_of_logged(row) for row in page]
        added += await asyncio.to_thread(rows.add, org, dataset_id, copies)
        read += size
        if len(page) < size:
            break
    return added

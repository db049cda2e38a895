"""Request ids logged more than once, found and copied to `request_versions` before storing.

An OTLP exporter retrying a batch, a client posting the same log twice or reusing its own
Helicone-Request-Id gives one request id a second row. Readers pick one row per request
from `request_versions` for the requests listed there (store/newest.py), so every row of
such a request must be copied there: the stored ones (inside ClickHouse) and the batch's
own. Ids that Heliograph made up for a call (the row says so, store/log_row.py) cannot be
in the store and are never looked up: the gateway's own traffic costs nothing here. Ids a
caller gave cost one lookup per batch in `logged_request_ids`, which is ordered by id
(schema.py, m016): 2-3 ms for 1 to 20 ids and ~25 ms for 500, at 3M and at 12M rows alike;
the request_id bloom filter of request_response_rmt took 4-16 ms for one id and 65-244 ms
for 500, growing with the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.log_row import LogRow, RequestKey
from heliograph.store.newest import TABLE, VERSIONS_TABLE

IDS_TABLE = "logged_request_ids"


def request_key(row: LogRow) -> RequestKey | None:
    """The row's (organization, request id) to look up, or None when it has no such ids or
    when Heliograph made its id up for it (a new id: no other row can hold it)."""
    return None if row.id_is_new else row.key


async def stored_keys(engine: ClickHouseEngine, keys: Iterable[RequestKey]) -> set[RequestKey]:
    """Which of these (organization, request id) pairs the store already holds."""
    wanted = set(keys)
    if not wanted:
        return set()
    found = await engine.select(
        f"SELECT toString(organization_id) AS org, toString(request_id) AS id FROM {IDS_TABLE} "
        "WHERE request_id IN {ids:Array(UUID)}",
        {"ids": sorted({request_id for _, request_id in wanted})},
    )
    return {(row["org"], row["id"]) for row in found} & wanted


async def copy_relogged(engine: ClickHouseEngine, rows: Sequence[LogRow]) -> int:
    """Copy every row of the batch's requests that already have a row, or that the batch
    holds twice, into `request_versions`; return how many such requests there are.

    Run it before the batch is stored: if the batch then fails, a retry copies again
    (harmless: one row per request is picked) rather than missing a request.
    """
    keys = [request_key(row) for row in rows]
    known = [key for key in keys if key is not None]
    if not known:
        return 0
    stored = await stored_keys(engine, known)
    repeated = {key for key, count in Counter(known).items() if count > 1 or key in stored}
    if not repeated:
        return 0
    by_organization: dict[str, list[str]] = {}
    for organization_id, request_id in sorted(repeated & stored):
        by_organization.setdefault(organization_id, []).append(request_id)
    for organization_id, request_ids in by_organization.items():
        await engine.execute(
            f"INSERT INTO {VERSIONS_TABLE} SELECT * FROM {TABLE} "
            "WHERE organization_id = {org:UUID} AND request_id IN {ids:Array(UUID)}",
            {"org": organization_id, "ids": request_ids},
        )
    batch_lines = [row.line for row, key in zip(rows, keys, strict=True) if key in repeated]
    await engine.insert_json_lines(VERSIONS_TABLE, batch_lines)
    return len(repeated)

"""Request ids logged more than once, found and copied to `request_versions` before storing.

An OTLP exporter retrying a batch, a client posting the same log twice or reusing its own
Helicone-Request-Id gives one request id a second row. Readers pick one row per request
from `request_versions` for the requests listed there (store/newest.py), so every row of
such a request must be copied there: the stored ones (inside ClickHouse) and the batch's
own. Ids that Heliograph made up for a call (the row says so, pipeline/rows.py) cannot be
in the store and are never looked up: the gateway's own traffic costs nothing here. Ids a
caller gave cost one lookup per batch in `logged_request_ids`, which is ordered by id
(schema.py, m016): 2-3 ms for 1 to 20 ids and ~25 ms for 500, at 3M and at 12M rows alike;
the request_id bloom filter of request_response_rmt took 4-16 ms for one id and 65-244 ms
for 500, growing with the table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import orjson

from heliograph.pipeline.rows import NEW_ID_FIELD
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import TABLE, VERSIONS_TABLE

IDS_TABLE = "logged_request_ids"
# (organization id, request id), lower case.
RequestKey = tuple[str, str]
# The log pipeline's rows (pipeline/rows.py) start with both ids and whether the id is new;
# others are parsed whole.
_LEADING_KEYS = re.compile(
    rb'\{"request_id":"([0-9a-fA-F-]{36})","organization_id":"([0-9a-fA-F-]{36})"'
    rb'(,"' + NEW_ID_FIELD.encode() + rb'":true)?'
)


def row_key(line: bytes) -> tuple[RequestKey, bool] | None:
    """The organization and request id of a JSON row, and whether Heliograph made the id
    up for it; None when the row has no such ids."""
    match = _LEADING_KEYS.match(line)
    if match is not None:
        key = (match.group(2).decode().lower(), match.group(1).decode().lower())
        return key, match.group(3) is not None
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(row, dict):
        return None
    organization_id, request_id = row.get("organization_id"), row.get("request_id")
    if not isinstance(organization_id, str) or not isinstance(request_id, str):
        return None
    return (organization_id.lower(), request_id.lower()), False


def request_key(line: bytes) -> RequestKey | None:
    """The organization and request id of a JSON row, or None when it has no such ids or
    when Heliograph made its id up for it (a new id: no other row can hold it)."""
    found = row_key(line)
    return None if found is None or found[1] else found[0]


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


async def copy_relogged(engine: ClickHouseEngine, lines: Sequence[bytes]) -> int:
    """Copy every row of the batch's requests that already have a row, or that the batch
    holds twice, into `request_versions`; return how many such requests there are.

    Run it before the batch is stored: if the batch then fails, a retry copies again
    (harmless: one row per request is picked) rather than missing a request.
    """
    keys = [request_key(line) for line in lines]
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
    batch_rows = [line for line, key in zip(lines, keys, strict=True) if key in repeated]
    await engine.insert_json_lines(VERSIONS_TABLE, batch_rows)
    return len(repeated)

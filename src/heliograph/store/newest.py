"""Each logged request's newest version, read without FINAL: the source every reader uses.

A change to a logged request inserts a version row (store/row_versions.py) and a request id
logged twice has two rows. FINAL hid the older rows by merging at read time, at a cost that
grew faster than the table (14-33x from 1M to 10M rows, bench/query.py). Requests with more
than one row are few, and all their rows are also in `request_versions` (schema.py,
m013-m015): every other request's one row is read from `request_response_rmt` as it is,
with the caller's whole filter, and the newest row of each listed request (latest
`updated_at`, then highest `row_version`) is picked from the small copy, then filtered. A
filter on a column that a new version changes (properties, scores) thus only ever sees
newest versions. Leaving out the listed ids costs a read of every request id in range
(~40 ms per 1M rows); the copy spares a second scan of the big table, which picking from
`request_response_rmt` itself would need (changed rows lie in nearly every granule).
"""

from __future__ import annotations

import weakref

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.params import Params

TABLE = "request_response_rmt"
VERSIONS_TABLE = "request_versions"
NEWEST_FIRST = "ORDER BY updated_at DESC, row_version DESC"


def newest_rows_sql(
    org: str, where: str = "1", *, versions: bool = True, database: str = ""
) -> str:
    """A subquery of one organization's newest rows satisfying `where`, to read FROM.

    `org` is the SQL of the organization id (a placeholder). `where` may name any column,
    never an alias of the outer query. `versions=False` is for an organization known to
    have no request with more than one row: its rows are read as they are.
    """
    prefix = f"{database}." if database else ""
    table, copies = f"{prefix}{TABLE}", f"{prefix}{VERSIONS_TABLE}"
    scoped = f"organization_id = {org}"
    also = "" if where == "1" else f" AND {where}"
    if not versions:
        return f"(SELECT * FROM {table} WHERE {scoped}{also})"
    single = (
        f"SELECT * FROM {table} WHERE {scoped} AND request_id NOT IN "
        f"(SELECT request_id FROM {copies} WHERE {scoped}){also}"
    )
    # The filter applies after the newest row is picked: an older one must never match.
    newest = (
        f"SELECT * FROM (SELECT * FROM {copies} WHERE {scoped} {NEWEST_FIRST} "
        f"LIMIT 1 BY request_id){' WHERE ' + where if also else ''}"
    )
    return f"({single} UNION ALL {newest})"


# Organizations seen with a multi-row request, per engine. Rows of `request_versions` are
# never taken back, so "yes" stays true (and were it not, the exclusion is only slower);
# "no" is asked again every time, since the next change may add one.
_VERSIONED: weakref.WeakKeyDictionary[ClickHouseEngine, set[str]] = weakref.WeakKeyDictionary()


async def has_versions(engine: ClickHouseEngine, organization_id: str) -> bool:
    """Whether any request of the organization has more than one row (a lookup of ~1 ms)."""
    known = _VERSIONED.setdefault(engine, set())
    if organization_id in known:
        return True
    rows = await engine.select(
        f"SELECT 1 AS found FROM {VERSIONS_TABLE} WHERE organization_id = {{org:UUID}} LIMIT 1",
        {"org": organization_id},
    )
    if rows:
        known.add(organization_id)
    return bool(rows)


async def newest_rows(
    engine: ClickHouseEngine, organization_id: str, params: Params, where: str = "1"
) -> str:
    """`newest_rows_sql` for an organization, its id bound in `params`.

    An organization none of whose requests has a second row (none changed, none logged
    twice) is read without the exclusion, which costs a read of every request id. A change
    written between the lookup and the query may be counted twice by that one query.
    """
    versions = await has_versions(engine, organization_id)
    return newest_rows_sql(params.add(organization_id, "UUID"), where, versions=versions)

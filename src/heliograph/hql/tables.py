"""The tables HQL may read, and the org-scoped subquery each one is replaced with.

Every reference to an allowed table becomes a subquery of the caller's organization's rows,
`(SELECT ... WHERE organization_id = {hql_org:UUID} ...) AS <alias>`. Request rows are each
request's newest version (property and score updates insert new versions of a request row),
read as every other reader does (store/newest.py); cache_metrics is read with FINAL, which
merges its partial sums. Tables are qualified with their database so that no name the
caller defines (a WITH alias) can stand in for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.store.newest import VERSIONS_TABLE, newest_rows_sql

ORG_PARAM = "hql_org"


@dataclass(frozen=True)
class ScopedTable:
    name: str
    # Columns Helicone's HQL documents under names our table stores differently:
    # (name, ClickHouse expression).
    aliases: tuple[tuple[str, str], ...] = ()
    # Rows are request versions: read each request's newest (store/newest.py), not FINAL.
    newest_versions: bool = False

    def select_sql(self, database: str) -> str:
        """The org-scoped SELECT standing in for the table."""
        extra = "".join(f", {expression} AS {name}" for name, expression in self.aliases)
        org = f"{{{ORG_PARAM}:UUID}}"
        if self.newest_versions:
            return f"SELECT *{extra} FROM {newest_rows_sql(org, database=database)}"
        return f"SELECT *{extra} FROM {database}.{self.name} FINAL WHERE organization_id = {org}"


ALLOWED_TABLES: dict[str, ScopedTable] = {
    table.name: table
    for table in (
        ScopedTable(
            "request_response_rmt",
            (
                ("request_model", "model"),
                ("provider_total_cost", "cost"),
                ("total_tokens", "ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0)"),
            ),
            newest_versions=True,
        ),
        ScopedTable("cache_metrics"),
    )
}

# Tables the scoped subqueries read besides the allowed ones; HQL itself cannot name them.
INTERNAL_TABLES = frozenset({VERSIONS_TABLE})

# The tenant column: always the caller's own organization, so not listed in the schema.
HIDDEN_COLUMNS = frozenset({"organization_id"})

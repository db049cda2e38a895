"""The tables HQL may read, and the org-scoped subquery each one is replaced with.

Every reference to an allowed table becomes `(SELECT ... FROM <db>.<table> FINAL WHERE
organization_id = {hql_org:UUID}) AS <alias>`. FINAL yields each row's newest version
(property and score updates insert new versions of a request row; cache_metrics merges
partial sums). The table is qualified with its database so that no name the caller
defines (a WITH alias) can stand in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

ORG_PARAM = "hql_org"


@dataclass(frozen=True)
class ScopedTable:
    name: str
    # Columns Helicone's HQL documents under names our table stores differently:
    # (name, ClickHouse expression).
    aliases: tuple[tuple[str, str], ...] = ()

    def select_sql(self, database: str) -> str:
        """The org-scoped SELECT standing in for the table."""
        extra = "".join(f", {expression} AS {name}" for name, expression in self.aliases)
        return (
            f"SELECT *{extra} FROM {database}.{self.name} FINAL "
            f"WHERE organization_id = {{{ORG_PARAM}:UUID}}"
        )


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
        ),
        ScopedTable("cache_metrics"),
    )
}

# The tenant column: always the caller's own organization, so not listed in the schema.
HIDDEN_COLUMNS = frozenset({"organization_id"})

"""Where every table of an HQL query comes from: an allowed table, scoped to the caller's
organization, or a WITH table in scope, renamed to a name no real table has."""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from heliograph.hql import errors
from heliograph.hql.errors import HqlError
from heliograph.hql.tables import ALLOWED_TABLES, INTERNAL_TABLES, ORG_PARAM

DIALECT = "clickhouse"
CTE_PREFIX = "_hql_cte_"
PART_NAMES = {"settings": "SETTINGS", "format": "FORMAT", "into": "INTO", "for_": "FOR"}
_ALLOWED_LIST = ", ".join(ALLOWED_TABLES)


def table_function_error(table: exp.Table) -> HqlError:
    source = table.this
    name = source.name if isinstance(source, exp.Func) and source.name else source.sql(DIALECT)
    return HqlError(errors.INVALID_TABLE, f"Table functions are not allowed: {name}()")


class Scoper:
    """Resolves every table reference: an allowed table or a WITH table in scope."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._ctes = 0

    def scope(self, node: exp.Expr, visible: Mapping[str, str]) -> None:
        # Depth first through a list, not by recursion: a chain of 1,000 ORs is a tree
        # 1,000 levels deep, past Python's recursion limit.
        pending: list[tuple[exp.Expr, Mapping[str, str]]] = [(node, visible)]
        while pending:
            node, visible = pending.pop()
            if isinstance(node, exp.Table):
                self._table(node, visible)
                continue
            with_ = node.args.get("with_")
            if isinstance(with_, exp.With):
                visible = self._with(with_, visible)
            children = [child for child in node.iter_expressions() if child is not with_]
            pending.extend((child, visible) for child in reversed(children))

    def _with(self, with_: exp.With, outer: Mapping[str, str]) -> dict[str, str]:
        visible = dict(outer)
        defined: set[str] = set()
        for cte in with_.expressions:
            name = cte.alias
            if name in ALLOWED_TABLES:
                raise HqlError(errors.INVALID_TABLE, f"A WITH name may not hide the table {name}")
            if not name or name in defined:
                raise HqlError(errors.INVALID_SQL_CONSTRUCT, f"Duplicate WITH name {name!r}")
            defined.add(name)
            # A WITH query sees the WITH tables defined before it, never itself: in
            # ClickHouse a self-reference would read a real table of that name.
            if isinstance(cte.this, exp.Table):
                self._table(cte.this, visible)
            else:
                self.scope(cte.this, visible)
            if cte.args.get("scalar"):
                continue  # `WITH <expression> AS name`: a value, not a table
            renamed = f"{CTE_PREFIX}{self._ctes}"
            self._ctes += 1
            cte.args["alias"].set("this", exp.to_identifier(renamed))
            visible[name] = renamed
        return visible

    def _table(self, table: exp.Table, visible: Mapping[str, str]) -> None:
        if not isinstance(table.this, exp.Identifier):
            raise table_function_error(table)
        if table.args.get("db") or table.args.get("catalog"):
            raise HqlError(
                errors.INVALID_TABLE,
                f"Table '{table.sql(dialect=DIALECT)}' is not allowed: database-qualified "
                f"names are refused. Allowed tables: {_ALLOWED_LIST}",
            )
        for part, value in table.args.items():
            if value and part not in ("this", "alias"):
                name = PART_NAMES.get(part, part.upper())
                raise HqlError(
                    errors.INVALID_SQL_CONSTRUCT, f"{name} is not supported on HQL tables"
                )
        name = table.name
        alias = table.args.get("alias") or exp.TableAlias(
            this=exp.to_identifier(name, quoted=table.this.quoted)
        )
        if name in visible:
            table.set("this", exp.to_identifier(visible[name]))
            table.set("alias", alias)
        elif name in ALLOWED_TABLES:
            scoped = sqlglot.parse_one(
                ALLOWED_TABLES[name].select_sql(self._database), read=DIALECT
            )
            target = table.parent if isinstance(table.parent, exp.Final) else table
            target.replace(exp.Subquery(this=scoped, alias=alias))
        else:
            raise HqlError(
                errors.INVALID_TABLE,
                f"Table '{name}' is not allowed. Allowed tables: {_ALLOWED_LIST}",
            )


def _is_scoped(table: exp.Table, select: exp.Select, database: str) -> bool:
    """An allowed (or internal) table of our database, read by a SELECT without joins
    whose WHERE is, or ANDs, the organization condition."""
    where = select.args.get("where")
    if where is None or select.args.get("joins"):
        return False
    condition = where.this
    conjuncts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    scope = f"organization_id = {{{ORG_PARAM}: UUID}}"
    return (
        table.text("db") == database
        and (table.name in ALLOWED_TABLES or table.name in INTERNAL_TABLES)
        and any(part.sql(dialect=DIALECT) == scope for part in conjuncts)
    )


def verify_confined(confined: str, database: str) -> None:
    """Parse the generated SQL again: every table must be a renamed WITH table or an allowed
    table scoped to the organization parameter; raise HqlError otherwise."""
    try:
        tree = sqlglot.parse_one(confined, read=DIALECT)
    except (ParseError, TokenError):
        raise HqlError(errors.SYNTAX_ERROR, "The query could not be rewritten safely") from None
    for table in tree.find_all(exp.Table):
        if not table.args.get("db") and table.name.startswith(CTE_PREFIX):
            continue
        select = table.find_ancestor(exp.Select)
        if select is not None and _is_scoped(table, select, database):
            continue
        raise HqlError(errors.UNEXPECTED_ERROR, "The query could not be confined to your data")
    for placeholder in tree.find_all(exp.Placeholder):
        if placeholder.name != ORG_PARAM:
            raise HqlError(errors.UNEXPECTED_ERROR, "The query could not be confined")

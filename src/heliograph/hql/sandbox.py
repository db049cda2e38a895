"""The HQL sandbox: one SELECT over the caller's own rows, checked on sqlglot's parse tree.

`confine(sql, limit, database)` parses the caller's SQL with sqlglot's ClickHouse dialect,
refuses anything but a single SELECT over the allowed tables and allowlisted functions,
rewrites every allowed table into its org-scoped subquery and renames WITH tables to
names no real table has (scoping.py), and caps the rows with LIMIT. The SQL that runs is
generated from the checked tree, never the caller's text: comments are dropped and
strings re-quoted, so what was checked is what runs. The generated SQL is parsed once
more and every table in it must be one of ours.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.parser import Parser
from sqlglot.tokenizer_core import Token, TokenType

from heliograph.hql import errors
from heliograph.hql.call_heads import rendered_call_names
from heliograph.hql.errors import HqlError
from heliograph.hql.functions import function_allowed
from heliograph.hql.scoping import (
    DIALECT,
    PART_NAMES,
    Scoper,
    table_function_error,
    verify_confined,
)

# The default of the hql_max_sql_chars setting: a check takes ~0.5 s at this length.
MAX_SQL_CHARS = 20_000
MAX_TYPE_NESTING = 8  # sqlglot parses these in time doubling per level: ~40 ms at 8
RESULT_ALIAS = "hql_result"
# Parts of a SELECT (or UNION/subquery) HQL understands; any other (SETTINGS, FORMAT,
# INTO, FOR UPDATE, hints, ...) is refused by name.
_QUERY_PARTS = frozenset(
    {
        "this",
        "expression",
        "alias",
        "with_",
        "expressions",
        "distinct",
        "from_",
        "joins",
        "prewhere",
        "where",
        "group",
        "having",
        "qualify",
        "windows",
        "order",
        "limit",
        "offset",
        "by_name",
    }
)
# Calls whose name the caller wrote; other functions are sqlglot's own and named by rendering.
_NAMED_CALLS = (exp.Anonymous, exp.AnonymousAggFunc, exp.ParameterizedAgg)
# Loaded with this module, not at the first query: sqlglot imports a dialect on first use,
# and an import needs a descriptor, which a server short of them has none of.
_DIALECT = Dialect.get_or_raise(DIALECT)


def confine(sql: str, limit: int, database: str, max_chars: int = MAX_SQL_CHARS) -> str:
    """The caller's SQL as safe ClickHouse SQL reading only `{hql_org:UUID}`'s rows.

    Linear in the length of `sql`, which must be at most `max_chars` long."""
    tree = _parse(sql, max_chars)
    try:
        _check(tree)
        Scoper(database).scope(tree, {})
        _merge_prewhere(tree)
        tree = _limited(tree, limit)
        confined = tree.sql(dialect=DIALECT, comments=False)
    except RecursionError:
        raise HqlError(errors.SYNTAX_ERROR, "The query is nested too deeply") from None
    verify_confined(confined, database)
    return confined


def _parse(sql: str, max_chars: int) -> exp.Expr:
    if not sql.strip():
        raise HqlError(errors.MISSING_QUERY_SQL, "Query SQL is required")
    if len(sql) > max_chars:
        raise HqlError(errors.QUERY_TOO_LARGE, f"The query is longer than {max_chars} characters")
    if "\x00" in sql:
        raise HqlError(errors.INVALID_SQL_CONSTRUCT, "The query contains a NUL byte")
    dialect = _DIALECT
    try:
        tokens = dialect.tokenize(sql)
        _check_type_nesting(tokens)
        statements = [s for s in dialect.parser().parse(tokens, sql) if s is not None]
    except ParseError as exc:
        first = _first_word(sql)
        if first not in ("SELECT", "WITH", "("):
            message = f"Only SELECT statements are allowed, found {first}"
            raise HqlError(errors.INVALID_STATEMENT, message) from None
        raise HqlError(errors.SYNTAX_ERROR, _parse_problem(exc)) from None
    except TokenError as exc:
        raise HqlError(errors.SYNTAX_ERROR, f"SQL syntax error: {exc}") from None
    except RecursionError:
        raise HqlError(errors.SYNTAX_ERROR, "The query is nested too deeply") from None
    if len(statements) != 1:
        raise HqlError(
            errors.INVALID_STATEMENT,
            f"Exactly one SELECT statement is allowed, found {len(statements)} statements",
        )
    tree = statements[0]
    while isinstance(tree, exp.Subquery) and not tree.alias and _is_query(tree.this):
        tree = tree.this  # `(SELECT ...)`
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise HqlError(
            errors.INVALID_STATEMENT,
            f"Only SELECT statements are allowed, found {_statement_kind(tree)}",
        )
    return tree


def _check_type_nesting(tokens: list[Token]) -> None:
    """Refuse calls named like types nested deeper than MAX_TYPE_NESTING.

    sqlglot reads `tuple(`, `Decimal(`, `Variant(`... as a type or as a call, trying both
    at every level: `tuple(tuple(...))` 16 deep took 3.4 s to parse, each level doubling.
    """
    opened: list[bool] = []  # per open parenthesis: does it follow a type's name?
    previous: Token | None = None
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            opened.append(previous is not None and previous.token_type in Parser.TYPE_TOKENS)
            if sum(opened) > MAX_TYPE_NESTING:
                raise HqlError(
                    errors.SYNTAX_ERROR,
                    f"The query nests type-like calls (tuple, Decimal, ...) more than "
                    f"{MAX_TYPE_NESTING} deep",
                )
        elif token.token_type == TokenType.R_PAREN and opened:
            opened.pop()
        previous = token


def _first_word(sql: str) -> str:
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
    except TokenError:
        return ""
    return tokens[0].text.upper() if tokens else ""


def _parse_problem(exc: ParseError) -> str:
    if not exc.errors:
        return f"SQL syntax error: {str(exc).splitlines()[0]}"
    first = exc.errors[0]
    near = f" near {first['highlight']!r}" if first.get("highlight") else ""
    return (
        f"SQL syntax error: {first.get('description')} at line {first.get('line')}, "
        f"column {first.get('col')}{near}"
    )


def _statement_kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return type(node).__name__.upper()


def _is_query(node: object) -> bool:
    return isinstance(node, exp.Select | exp.SetOperation | exp.Subquery)


def _check(tree: exp.Expr) -> None:
    """Refuse every statement, clause, construct and function HQL does not allow."""
    for node in tree.walk():
        if isinstance(node, exp.DDL | exp.DML | exp.Command):
            raise HqlError(
                errors.INVALID_STATEMENT,
                f"Only SELECT statements are allowed, found {_statement_kind(node)}",
            )
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            raise table_function_error(node)
        if isinstance(node, exp.Placeholder | exp.Parameter | exp.SessionParameter):
            raise HqlError(
                errors.INVALID_SQL_CONSTRUCT, "Query parameters ({name:Type}) are not allowed"
            )
        if _is_query(node):
            _check_parts(node)
            if isinstance(node, exp.Select) and not node.expressions:
                raise HqlError(errors.SYNTAX_ERROR, "SQL syntax error: SELECT without columns")
        elif isinstance(node, exp.With) and node.args.get("recursive"):
            raise HqlError(errors.INVALID_SQL_CONSTRUCT, "WITH RECURSIVE is not supported")
        elif isinstance(node, exp.From | exp.Join):
            _check_source(node)
        elif isinstance(node, exp.In):
            _check_in(node)
        elif isinstance(node, exp.Apply):
            _check_apply(node)
        if isinstance(node, _NAMED_CALLS):
            _require_function(node.name)
    for name in sorted(rendered_call_names(tree)):
        _require_function(name)


def _check_parts(query: exp.Expr) -> None:
    for part, value in query.args.items():
        if value and part not in _QUERY_PARTS:
            name = PART_NAMES.get(part, part.upper())
            raise HqlError(errors.INVALID_SQL_CONSTRUCT, f"The {name} clause is not allowed")


def _check_source(node: exp.From | exp.Join) -> None:
    source = node.this
    if isinstance(node, exp.Join) and node.args.get("kind") == "ARRAY":
        return  # ARRAY JOIN unfolds expressions of rows already read
    if isinstance(source, exp.Final):
        source = source.this
    if not isinstance(source, exp.Table | exp.Subquery):
        raise HqlError(
            errors.INVALID_TABLE,
            f"Only tables and subqueries can be read, found {type(source).__name__.upper()}",
        )


def _check_in(node: exp.In) -> None:
    # ClickHouse reads `x IN name` and `x IN (name)` as "the rows of table `name`".
    candidates = [node.args.get("field")]
    if len(node.expressions) == 1:
        candidates.append(node.expressions[0])
    for candidate in candidates:
        while isinstance(candidate, exp.Paren):
            candidate = candidate.this
        if isinstance(candidate, exp.Column | exp.Identifier | exp.Dot | exp.Var | exp.Table):
            raise HqlError(
                errors.INVALID_SQL_CONSTRUCT,
                f"IN {candidate.sql(dialect=DIALECT)} is not allowed (it reads a table): "
                "write IN (SELECT ...) or compare with = / has()",
            )


def _check_apply(node: exp.Apply) -> None:
    target = node.expression
    if isinstance(target, exp.Var | exp.Identifier | exp.Column):
        _require_function(target.name)


def _require_function(name: str) -> None:
    if not function_allowed(name):
        raise HqlError(errors.INVALID_FUNCTION, f"Function '{name}' is not allowed in HQL")


def _merge_prewhere(tree: exp.Expr) -> None:
    """PREWHERE cannot read through a subquery: fold it into WHERE (ClickHouse moves
    suitable WHERE conditions to PREWHERE on its own)."""
    for select in list(tree.find_all(exp.Select)):
        prewhere = select.args.get("prewhere")
        if prewhere is None:
            continue
        select.set("prewhere", None)
        where = select.args.get("where")
        condition = prewhere.this if where is None else exp.and_(prewhere.this, where.this)
        select.set("where", exp.Where(this=condition))


def _limited(tree: exp.Expr, limit: int) -> exp.Expr:
    """Cap the rows at `limit`: lower a plain LIMIT, add one, or wrap the query."""
    if isinstance(tree, exp.Select):
        current = tree.args.get("limit")
        if current is None:
            tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
            return tree
        count = current.expression if isinstance(current, exp.Limit) else None
        if (
            isinstance(count, exp.Literal)
            and count.is_int
            and not current.args.get("expressions")  # LIMIT n BY ...
            and not current.args.get("limit_options")  # WITH TIES
        ):
            count.replace(exp.Literal.number(min(int(count.name), limit)))
            return tree
    # UNION (whose LIMIT binds to its last SELECT in ClickHouse), LIMIT BY, WITH TIES...
    wrapper = exp.Select(expressions=[exp.Star()])
    wrapper.set(
        "from_",
        exp.From(
            this=exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier(RESULT_ALIAS)))
        ),
    )
    wrapper.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return wrapper

"""The ClickHouse function every call of an HQL tree becomes, found in one rendering.

sqlglot names most functions by its own classes (`exp.ArrayContains` is ClickHouse's
`has`), so HQL checks a call by the name it renders to. Rendering each call on its own
renders every subtree again for each call above it: quadratic, and 500 ORs (each one a
sqlglot "function") took 7 s. Here the tree is rendered once, and the generator notes the
head of each call as it renders it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from heliograph.hql.scoping import DIALECT

_CALL_HEAD = re.compile(r'\s*[`"]?([A-Za-z_][A-Za-z0-9_]*)[`"]?\s*\(')


def call_head(sql: str) -> str | None:
    """The function name `sql` starts by calling, if it starts with a call."""
    head = _CALL_HEAD.match(sql)
    return head.group(1) if head else None


def rendered_call_names(tree: exp.Expr) -> set[str]:
    """The names of the functions the calls of `tree` render to in ClickHouse SQL."""
    copy = tree.copy()  # the generator may rewrite what it renders
    generator = Dialect.get_or_raise(DIALECT).generator(comments=False)
    heads: dict[int, str | None] = {}
    render = generator.sql

    def noting_heads(expression: Any, key: str | None = None, comment: bool = True) -> str:
        text = render(expression, key, comment)
        if not key and isinstance(expression, exp.Func):
            heads[id(expression)] = call_head(text)
        return text

    generator.sql = noting_heads  # type: ignore[method-assign]
    generator.generate(copy, copy=False)
    names = {name for name in heads.values() if name}
    for node in copy.walk():
        # AND/OR/XOR are rendered as operators between their operands, never as calls;
        # any other call the generator rendered by another path is rendered on its own.
        if isinstance(node, exp.Func | exp.Connector) and id(node) not in heads:
            if not isinstance(node, exp.Connector):
                name = call_head(node.sql(dialect=DIALECT, comments=False))
                if name:
                    names.add(name)
    return names

"""HQL on a ClickHouse server: a read-only user per organization, held to its rows by a
row policy, in addition to the sandbox's rewriting (hql/sandbox.py).

The sandbox already scopes every table HQL reads to the caller's organization. On a server
the query also runs as that organization's own ClickHouse user, which can only read (a
`readonly = 1` profile: no writes, no DDL, no `SET`), only the tables HQL offers, and of
those only its organization's rows (a row policy), so a query that got past the sandbox
still sees nothing else. The limits HQL sends with each query (time, memory, result size)
may be changed in read-only mode, within the profile's maximums.

ClickHouse reads a table with any row policy through the policies alone: a user none
applies to would see no rows. So every other user (Heliograph's own, the operator's) gets a
policy that lets it see every row, `USING 1 TO ALL EXCEPT heliograph_hql`.

The statements are made here and run by the server's own user (which needs the right to
create users, roles, profiles and policies, and `GRANT OPTION` on SELECT); the user's
password is derived from Heliograph's secret key, so every Heliograph process computes the
same one and none is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable

from heliograph.store.sql_text import DATABASE, literal

HQL_ROLE = "heliograph_hql"
HQL_PROFILE = "heliograph_hql"
EVERYONE_POLICY = "heliograph_everyone"
# The most an HQL query may ask for (hql/execute.py's HqlLimits stay below them).
MAX_EXECUTION_S = 60
MAX_MEMORY_BYTES = 4_000_000_000
MAX_RESULT_BYTES = 1 << 30
# Settings HQL sends with every query, changeable in read-only mode within these bounds.
_CHANGEABLE = (
    f"max_execution_time = 30 MAX {MAX_EXECUTION_S} CHANGEABLE_IN_READONLY",
    f"max_memory_usage = 2000000000 MAX {MAX_MEMORY_BYTES} CHANGEABLE_IN_READONLY",
    f"max_result_bytes = 536870912 MAX {MAX_RESULT_BYTES} CHANGEABLE_IN_READONLY",
    "timeout_overflow_mode CHANGEABLE_IN_READONLY",
    "max_block_size CHANGEABLE_IN_READONLY",
    "max_joined_block_size_rows CHANGEABLE_IN_READONLY",
    "output_format_json_quote_64bit_integers CHANGEABLE_IN_READONLY",
)


def hql_user(organization_id: str) -> str:
    """The organization's ClickHouse user: a name only letters, digits and `_` make up."""
    return f"heliograph_hql_{uuid.UUID(organization_id).hex}"


def hql_password(secret: bytes, organization_id: str) -> str:
    """The organization's user's password, the same in every Heliograph process."""
    message = f"heliograph-hql-user:{uuid.UUID(organization_id)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _policy(organization_id: str) -> str:
    return f"heliograph_org_{uuid.UUID(organization_id).hex}"


def _on(cluster: str) -> str:
    return f" ON CLUSTER {cluster}" if cluster else ""


def role_statements(tables: Iterable[str], cluster: str = "") -> list[str]:
    """What every organization's user shares, made once: the role, its read-only profile,
    SELECT on the HQL tables, and the policy that keeps every other user seeing all rows."""
    on = _on(cluster)
    statements = [
        f"CREATE ROLE IF NOT EXISTS {HQL_ROLE}{on}",
        f"CREATE SETTINGS PROFILE IF NOT EXISTS {HQL_PROFILE}{on} SETTINGS readonly = 1, "
        + ", ".join(_CHANGEABLE)
        + f" TO {HQL_ROLE}",
    ]
    for table in tables:
        statements.append(f"GRANT{on} SELECT ON {DATABASE}.{table} TO {HQL_ROLE}")
        statements.append(
            f"CREATE ROW POLICY IF NOT EXISTS {EVERYONE_POLICY}{on} ON {DATABASE}.{table} "
            f"FOR SELECT USING 1 TO ALL EXCEPT {HQL_ROLE}"
        )
    return statements


def organization_statements(
    organization_id: str, password: str, tables: Iterable[str], cluster: str = ""
) -> list[str]:
    """The organization's user and its row policy on each HQL table."""
    on = _on(cluster)
    user, org = hql_user(organization_id), str(uuid.UUID(organization_id))
    statements = [
        f"CREATE USER IF NOT EXISTS {user}{on} IDENTIFIED WITH sha256_password BY "
        f"{literal(password)} DEFAULT DATABASE {DATABASE}",
        f"GRANT{on} {HQL_ROLE} TO {user}",
        f"ALTER USER {user}{on} DEFAULT ROLE {HQL_ROLE}",
    ]
    for table in tables:
        statements.append(
            f"CREATE ROW POLICY IF NOT EXISTS {_policy(organization_id)}{on} "
            f"ON {DATABASE}.{table} "
            f"FOR SELECT USING organization_id = toUUID({literal(org)}) TO {user}"
        )
    return statements

"""HQL queries on a ClickHouse server run as their organization's read-only user.

A query is HQL's when it is scoped by the HQL organization parameter (hql/tables.py's
`ORG_PARAM`, which the sandbox puts in every query it lets through, and no other reader
uses). The engine (connect_engine.py) asks `client_for` for that organization's client: the
first time, Heliograph's own user creates the shared role and the organization's user and
row policies (store/hql_access.py; all `IF NOT EXISTS`, so processes racing to do it agree),
then a clickhouse-connect client logs in as that user. Clients are kept for the most
recently used organizations.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from heliograph.store.hql_access import (
    hql_password,
    hql_user,
    organization_statements,
    role_statements,
)
from heliograph.store.sql_text import DATABASE

KEPT_CLIENTS = 64


def with_user(url: str, user: str, password: str) -> str:
    """`url` logging in as `user` instead of whoever it names."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class HqlReaders:
    """The organizations' read-only clients, shared by the engine's threads."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        tables: Iterable[str],
        org_param: str,
        cluster: str = "",
        connect: Callable[..., Any] | None = None,
    ) -> None:
        self._url = url
        self._secret = secret
        self._tables = tuple(tables)
        self.org_param = org_param
        self._cluster = cluster
        self._connect = connect
        self._role_made = False
        self._clients: OrderedDict[str, Any] = OrderedDict()
        # One thread makes an organization's user and client; the others wait for it.
        self._lock = threading.Lock()

    def organization_of(self, params: Mapping[str, Any] | None) -> str | None:
        """The organization an HQL query reads for; None for any other query."""
        value = (params or {}).get(self.org_param)
        return str(value) if value else None

    def client_for(self, admin: Any, organization_id: str) -> Any:
        """The organization's client, its user made by `admin` (Heliograph's client) if new."""
        with self._lock:
            return self._client_for(admin, organization_id)

    def _client_for(self, admin: Any, organization_id: str) -> Any:
        client = self._clients.get(organization_id)
        if client is not None:
            self._clients.move_to_end(organization_id)
            return client
        if not self._role_made:
            for statement in role_statements(self._tables, self._cluster):
                admin.command(statement)
            self._role_made = True
        password = hql_password(self._secret, organization_id)
        for statement in organization_statements(
            organization_id, password, self._tables, self._cluster
        ):
            admin.command(statement)
        connect = self._connect or _clickhouse_connect
        client = connect(
            dsn=with_user(self._url, hql_user(organization_id), password),
            database=DATABASE,
            autogenerate_session_id=False,
        )
        self._clients[organization_id] = client
        while len(self._clients) > KEPT_CLIENTS:
            _, oldest = self._clients.popitem(last=False)
            oldest.close()
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def _clickhouse_connect(**options: Any) -> Any:
    import clickhouse_connect

    return clickhouse_connect.get_client(**options)

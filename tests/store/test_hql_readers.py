"""On a ClickHouse server, an HQL query goes through its organization's read-only client,
made the first time by Heliograph's own (fake clients here: no server runs in these tests)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from heliograph.store.connect_engine import ClickHouseConnectEngine
from heliograph.store.hql_access import hql_password, hql_user
from heliograph.store.hql_readers import KEPT_CLIENTS, HqlReaders, with_user

URL = "https://heliograph:s3cret@ch.internal:8443"
TABLES = ("request_response_rmt",)


class FakeClient:
    def __init__(self, name: str = "admin") -> None:
        self.name = name
        self.commands: list[str] = []
        self.closed = False

    def command(self, sql: str, *args: Any) -> None:
        self.commands.append(sql)

    def raw_query(self, sql: str, params: Any, fmt: str) -> bytes:
        return b'{"by":"' + self.name.encode() + b'"}\n'

    def close(self) -> None:
        self.closed = True


def readers(made: list[dict[str, Any]]) -> HqlReaders:
    def connect(**options: Any) -> FakeClient:
        made.append(options)
        return FakeClient(options["dsn"])

    return HqlReaders(URL, b"secret", TABLES, "hql_org", connect=connect)


def test_with_user_replaces_the_login_only():
    assert with_user(URL, "u", "p@ss/word") == "https://u:p%40ss%2Fword@ch.internal:8443"
    assert with_user("http://ch:8123", "u", "p") == "http://u:p@ch:8123"


def test_an_organizations_user_is_made_once_then_its_client_is_kept():
    org, other = str(uuid.uuid4()), str(uuid.uuid4())
    made: list[dict[str, Any]] = []
    hql, admin = readers(made), FakeClient()
    first = hql.client_for(admin, org)
    password = hql_password(b"secret", org)
    assert made == [
        {
            "dsn": f"https://{hql_user(org)}:{password}@ch.internal:8443",
            "database": "heliograph",
            "autogenerate_session_id": False,
        }
    ]
    role_and_org = len(admin.commands)
    assert admin.commands[0] == "CREATE ROLE IF NOT EXISTS heliograph_hql"
    assert any(hql_user(org) in sql for sql in admin.commands)
    assert hql.client_for(admin, org) is first and len(admin.commands) == role_and_org
    hql.client_for(admin, other)
    assert all(other.replace("-", "") in sql for sql in admin.commands[role_and_org:])


def test_the_least_recently_used_clients_are_closed_past_the_limit():
    hql, admin = readers([]), FakeClient()
    clients = [hql.client_for(admin, str(uuid.uuid4())) for _ in range(KEPT_CLIENTS + 1)]
    assert clients[0].closed and not any(client.closed for client in clients[1:])


def test_the_engine_reads_hql_queries_as_the_organization_and_others_as_itself():
    org = str(uuid.uuid4())

    async def run() -> tuple[Any, Any]:
        engine = ClickHouseConnectEngine(URL)
        engine._client = FakeClient()
        engine.hql_readers = readers([])
        try:
            hql_rows = await engine.select("SELECT 1", {"hql_org": org})
            own_rows = await engine.select("SELECT 1", {"org": org})
            return hql_rows, own_rows
        finally:
            await engine.close()

    hql_rows, own_rows = asyncio.run(run())
    assert hql_rows == [
        {"by": f"https://{hql_user(org)}:{hql_password(b'secret', org)}@ch.internal:8443"}
    ]
    assert own_rows == [{"by": "admin"}]

"""The read-only ClickHouse user HQL runs as on a server, one per organization: its
statements, checked as text (no server runs here; HELIOGRAPH_TEST_CLICKHOUSE_URL runs the
store's tests on one)."""

from __future__ import annotations

import uuid

from heliograph.store.hql_access import (
    hql_password,
    hql_user,
    organization_statements,
    role_statements,
)

ORG = "0b7c1e6e-6c55-4d7e-9a53-2f1d5bbd4c10"
TABLES = ("request_response_rmt", "cache_metrics")


def test_the_role_reads_only_the_hql_tables_in_read_only_mode():
    statements = role_statements(TABLES)
    assert statements[0] == "CREATE ROLE IF NOT EXISTS heliograph_hql"
    profile = statements[1]
    assert profile.startswith("CREATE SETTINGS PROFILE IF NOT EXISTS heliograph_hql SETTINGS ")
    assert "readonly = 1," in profile and profile.endswith(" TO heliograph_hql")
    # What HQL sends with each query may be changed, within bounds.
    assert "max_execution_time = 30 MAX 60 CHANGEABLE_IN_READONLY" in profile
    assert statements[2:] == [
        "GRANT SELECT ON heliograph.request_response_rmt TO heliograph_hql",
        "CREATE ROW POLICY IF NOT EXISTS heliograph_everyone ON heliograph.request_response_rmt "
        "FOR SELECT USING 1 TO ALL EXCEPT heliograph_hql",
        "GRANT SELECT ON heliograph.cache_metrics TO heliograph_hql",
        "CREATE ROW POLICY IF NOT EXISTS heliograph_everyone ON heliograph.cache_metrics "
        "FOR SELECT USING 1 TO ALL EXCEPT heliograph_hql",
    ]


def test_an_organizations_user_sees_its_rows_only():
    user = f"heliograph_hql_{uuid.UUID(ORG).hex}"
    assert hql_user(ORG) == user
    assert organization_statements(ORG, "pw'd", TABLES) == [
        f"CREATE USER IF NOT EXISTS {user} IDENTIFIED WITH sha256_password BY 'pw\\'d' "
        "DEFAULT DATABASE heliograph",
        f"GRANT heliograph_hql TO {user}",
        f"ALTER USER {user} DEFAULT ROLE heliograph_hql",
        f"CREATE ROW POLICY IF NOT EXISTS heliograph_org_{uuid.UUID(ORG).hex} "
        f"ON heliograph.request_response_rmt FOR SELECT USING organization_id = toUUID('{ORG}') "
        f"TO {user}",
        f"CREATE ROW POLICY IF NOT EXISTS heliograph_org_{uuid.UUID(ORG).hex} "
        f"ON heliograph.cache_metrics FOR SELECT USING organization_id = toUUID('{ORG}') "
        f"TO {user}",
    ]


def test_on_a_cluster_every_statement_names_it_where_clickhouse_wants_it():
    role = role_statements(TABLES[:1], "main")
    assert role[0] == "CREATE ROLE IF NOT EXISTS heliograph_hql ON CLUSTER main"
    assert role[1].startswith(
        "CREATE SETTINGS PROFILE IF NOT EXISTS heliograph_hql ON CLUSTER main SETTINGS "
    )
    assert (
        role[2]
        == "GRANT ON CLUSTER main SELECT ON heliograph.request_response_rmt TO heliograph_hql"
    )
    assert role[3].startswith(
        "CREATE ROW POLICY IF NOT EXISTS heliograph_everyone ON CLUSTER main ON heliograph."
    )
    org = organization_statements(ORG, "x", TABLES[:1], "main")
    user = hql_user(ORG)
    assert org[0].startswith(f"CREATE USER IF NOT EXISTS {user} ON CLUSTER main IDENTIFIED ")
    assert org[1] == f"GRANT ON CLUSTER main heliograph_hql TO {user}"
    assert org[2] == f"ALTER USER {user} ON CLUSTER main DEFAULT ROLE heliograph_hql"
    assert " ON CLUSTER main ON heliograph.request_response_rmt FOR SELECT " in org[3]


def test_the_password_is_the_same_everywhere_and_differs_per_organization():
    other = str(uuid.uuid4())
    assert hql_password(b"k", ORG) == hql_password(b"k", ORG.upper())
    assert hql_password(b"k", ORG) != hql_password(b"k", other)
    assert hql_password(b"k", ORG) != hql_password(b"j", ORG)
    assert len(hql_password(b"k", ORG)) == 64

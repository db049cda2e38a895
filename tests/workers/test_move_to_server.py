"""Moving an embedded data dir to a deployment whose logs are on a ClickHouse server, as
docs/scale-out.md says: `heliograph export` from the stopped embedded store, then
`heliograph import --url` through the new deployment's REST API. The target's store is a
ClickHouse server when HELIOGRAPH_TEST_CLICKHOUSE_URL names one, else (said in the output)
an embedded store: the path through the REST API is the same."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.helpers import Operator, json_lines, run_cli
from tests.cli.logged import send_calls
from tests.server import HeliographProcess

# What a store gives each row of its own: equal only by chance after a move.
OWN_FIELDS = {"updated_at", "size_bytes"}


def test_an_embedded_data_dir_moves_to_a_server_deployment(start_server, tmp_path: Path):
    old: HeliographProcess = start_server(tmp_path / "old")
    ids = send_calls(old, 3, **{"Helicone-Property-Team": "search", "Helicone-User-Id": "ann"})
    old.stop()
    moved = tmp_path / "moved.jsonl"
    Operator(old.data_dir).ok("export", str(moved))  # from the store itself: no server runs
    server_url = os.environ.get("HELIOGRAPH_TEST_CLICKHOUSE_URL", "")
    print(f"target store: {'a ClickHouse server' if server_url else 'embedded (no server set)'}")
    env = {"HELIOGRAPH_CLICKHOUSE_URL": server_url} if server_url else {}
    new: HeliographProcess = start_server(tmp_path / "new", env=env)
    run = run_cli("import", str(moved), "--url", new.url, "--key", new.api_key)
    assert run.returncode == 0, run.stderr
    assert "imported 3 request(s)" in run.stderr
    again = tmp_path / "again.jsonl"
    run = run_cli("export", str(again), "--url", new.url, "--key", new.api_key)
    assert run.returncode == 0, run.stderr
    before = {row["request_id"]: row for row in json_lines(moved.read_text())}
    after = {row["request_id"]: row for row in json_lines(again.read_text())}
    assert set(after) >= set(ids) and set(before) == set(ids)
    for request_id in ids:
        assert {k: v for k, v in after[request_id].items() if k not in OWN_FIELDS} == {
            k: v for k, v in before[request_id].items() if k not in OWN_FIELDS
        }

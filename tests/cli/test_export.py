"""`heliograph export`: a real server's requests to JSONL, CSV and Parquet, resumed."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from tests.cli.helpers import json_lines, run_cli
from tests.cli.logged import logged_row, send_calls
from tests.server import HeliographProcess

MINI = '{"request_response_rmt": {"model": {"equals": "gpt-4o-mini"}}}'


def _export(server: HeliographProcess, output: Path, *args: str) -> str:
    result = run_cli("export", str(output), "--url", server.url, "--key", server.api_key, *args)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_filtered_export_resumes_without_duplicates(start_server, tmp_path: Path):
    server: HeliographProcess = start_server()
    mini = send_calls(server, 7)
    send_calls(server, 2, model="gpt-4o")
    output = tmp_path / "mini.jsonl"
    said = _export(server, output, "--filter", MINI, "--page-size", "3")
    assert said == f"exported 7 request(s) to {output}; cursor in {output}.cursor\n"
    rows = json_lines(output.read_text())
    assert [row["request_id"] for row in rows] == mini, "oldest first, only gpt-4o-mini"
    assert rows[0] == logged_row(server, mini[0]), "rows as the REST API gives them"

    # An interrupted export wrote a page but did not save its cursor: that part is cut off.
    with output.open("ab") as partial:
        partial.write(orjson.dumps(rows[-1]) + b'\n{"request_id": "cut')
    later = send_calls(server, 3)
    refused = run_cli("export", str(output), "--url", server.url, "--key", server.api_key)
    assert refused.returncode == 1 and "--resume" in refused.stderr
    other = run_cli(
        *("export", str(output), "--url", server.url, "--key", server.api_key, "--resume")
    )
    assert other.returncode == 1 and "another filter" in other.stderr
    said = _export(server, output, "--filter", MINI, "--page-size", "2", "--resume")
    assert said.startswith("exported 10 request(s)")
    assert [row["request_id"] for row in json_lines(output.read_text())] == mini + later


def test_a_stopped_servers_store_exports_to_csv_and_parquet(start_server, tmp_path: Path):
    server: HeliographProcess = start_server()
    ids = send_calls(server, 4, **{"Helicone-Property-Team": "search"})
    expected = logged_row(server, ids[0])
    busy = run_cli("export", str(tmp_path / "x.csv"), "--data-dir", str(server.data_dir))
    assert busy.returncode == 1
    assert "in use by a running server: export through it with --url" in busy.stderr
    server.stop()

    for name in ("all.csv", "all.parquet"):
        result = run_cli(
            *("export", str(tmp_path / name), "--data-dir", str(server.data_dir)),
            *("--since", expected["request_created_at"]),
        )
        assert result.returncode == 0, result.stderr
    with (tmp_path / "all.csv").open() as exported:
        rows = list(csv.DictReader(exported))
    assert [row["request_id"] for row in rows] == ids
    assert orjson.loads(rows[0]["request_properties"]) == {"Team": "search"}
    assert orjson.loads(rows[0]["request_body"]) == expected["request_body"]
    table = pq.read_table(tmp_path / "all.parquet").to_pylist()
    assert [row["request_id"] for row in table] == ids
    assert table[0]["prompt_tokens"] == expected["prompt_tokens"]
    assert table[0]["cost"] == expected["cost"]
    assert orjson.loads(table[0]["response_body"]) == expected["response_body"]

"""`heliograph import`: Heliograph's export round-trips; Helicone's export script's files and
LiteLLM's spend logs are logged with their ids, times, tokens, costs and properties; a
second import adds nothing; bad records are rejected whole, listed by line, exit 1."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

import orjson

from tests.cli.helpers import Operator, json_lines, run_cli
from tests.cli.logged import send_calls
from tests.server import HeliographProcess

# What a store gives each row of its own: equal only by chance after a round trip.
OWN_FIELDS = {"updated_at", "size_bytes"}


def _import(*args: str) -> tuple[int, str]:
    result = run_cli("import", *args)
    return result.returncode, result.stderr


def _export(operator: Operator, output: Path, org: str) -> list[dict[str, Any]]:
    operator.ok("export", str(output), "--org", org)
    return json_lines(output.read_text())


def test_a_heliograph_export_round_trips_into_another_org(start_server, tmp_path: Path):
    server: HeliographProcess = start_server()
    ids = send_calls(server, 2, **{"Helicone-Property-Team": "search", "Helicone-User-Id": "ann"})
    ids += send_calls(server, 1, model="gpt-4o", **{"Helicone-Session-Id": "s-1"})
    exported = tmp_path / "first.jsonl"
    run = run_cli("export", str(exported), "--url", server.url, "--key", server.api_key)
    assert run.returncode == 0, run.stderr
    first = json_lines(exported.read_text())
    busy = run_cli("import", str(exported), "--data-dir", str(server.data_dir))
    assert busy.returncode == 1
    assert "in use by a running server: import through it with --url" in busy.stderr

    other = Operator(tmp_path / "other")
    other.ok("orgs", "create", "acme")
    code, said = _import(str(exported), "--org", "acme", "--data-dir", str(other.data_dir))
    assert (code, said) == (
        0,
        f"imported 3 request(s) from {exported}; 0 skipped as already stored; 0 rejected\n",
    )
    again = _export(other, tmp_path / "again.jsonl", "acme")
    assert [row["request_id"] for row in again] == ids
    for before, after in zip(first, again, strict=True):
        assert {k: v for k, v in after.items() if k not in OWN_FIELDS} == {
            k: v for k, v in before.items() if k not in OWN_FIELDS
        }
    assert again[0]["request_properties"] == {"Team": "search"}
    assert again[0]["cost"] > 0 and again[0]["prompt_tokens"] > 0

    code, said = _import(str(exported), "--org", "acme", "--data-dir", str(other.data_dir))
    assert code == 0 and "imported 0 request(s)" in said and "3 skipped as already stored" in said
    assert len(_export(other, tmp_path / "third.jsonl", "acme")) == 3

    # Parquet (read by chDB before the store opens: one chDB session a process).
    parquet = tmp_path / "first.parquet"
    run = run_cli("export", str(parquet), "--url", server.url, "--key", server.api_key)
    assert run.returncode == 0, run.stderr
    other.ok("orgs", "create", "beta")
    code, said = _import(str(parquet), "--org", "beta", "--data-dir", str(other.data_dir))
    assert code == 0 and "imported 3 request(s)" in said, said
    from_parquet = _export(other, tmp_path / "beta.jsonl", "beta")
    assert [
        (row["request_id"], row["cost"], row["request_properties"]) for row in from_parquet
    ] == [(row["request_id"], row["cost"], row["request_properties"]) for row in first]


HELICONE_ROWS = [
    {
        "response_id": "8d1e5c2a-0b4f-4c1e-9f3a-2e7d6c5b4a01",
        "response_created_at": "2024-08-02T10:00:01.456Z",
        "response_body": {"id": "chatcmpl-1", "model": "gpt-4o-mini-2024-07-18", "choices": []},
        "response_status": 200,
        "response_model": "gpt-4o-mini-2024-07-18",
        "request_id": "0f6a3b1c-5d2e-4a7b-8c9d-1e2f3a4b5c01",
        "request_created_at": "2024-08-02T10:00:00.123Z",
        "request_body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        "request_path": "https://api.openai.com/v1/chat/completions",
        "request_user_id": "alice",
        "request_properties": {"Environment": "prod", "convoid": "c-7"},
        "request_model": "gpt-4o-mini",
        "model_override": None,
        "helicone_user": "4b9d...",
        "provider": "OPENAI",
        "delay_ms": 1333,
        "time_to_first_token": 210,
        "total_tokens": 17,
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "prompt_cache_read_tokens": 0,
        "prompt_cache_write_tokens": 0,
        "cost": 0.0001234,
        "model": "gpt-4o-mini",
        "signed_body_url": "https://s3.example/bodies/0f6a3b1c",
        "country_code": "DE",
        "scores": {},
    },
    {
        "response_id": "8d1e5c2a-0b4f-4c1e-9f3a-2e7d6c5b4a02",
        "response_created_at": "2024-08-02T11:30:00.900Z",
        "response_status": 429,
        "request_id": "0f6a3b1c-5d2e-4a7b-8c9d-1e2f3a4b5c02",
        "request_created_at": "2024-08-02T11:30:00.500Z",
        "request_user_id": "",
        "request_properties": {},
        "provider": "ANTHROPIC",
        "delay_ms": 400,
        "prompt_tokens": None,
        "completion_tokens": None,
        "cost": 0,
        "model": "claude-3-5-sonnet-20241022",
    },
]
# Helicone's TypeScript export script's CSV columns, in its order.
HELICONE_CSV_COLUMNS = [
    "response_id", "response_created_at", "response_status", "request_created_at",
    "request_body", "request_properties", "request_user_id", "model", "prompt_tokens",
    "completion_tokens", "latency", "cost_usd",
]  # fmt: skip


def _helicone_csv_cell(value: Any) -> str:
    """As the script's convertToCSVRow writes a cell: objects as JSON text with the quotes
    doubled, then quoted with the quotes doubled again; null and undefined empty."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = orjson.dumps(value).decode().replace('"', '""')
    if isinstance(value, bool):
        value = str(value).lower()
    return '"' + str(value).replace('"', '""') + '"'


def _write_helicone_files(directory: Path) -> dict[str, Path]:
    jsonl = directory / "output.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in HELICONE_ROWS))
    # The script's JSON: "[\n", each record indented and followed by ",\n", then "]\n".
    array = directory / "output.json"
    records = "".join(
        orjson.dumps(row, option=orjson.OPT_INDENT_2).decode() + ",\n" for row in HELICONE_ROWS
    )
    array.write_text("[\n" + records + "]\n")
    table = directory / "output.csv"
    lines = [",".join(HELICONE_CSV_COLUMNS)]
    for row in HELICONE_ROWS:
        cells = {**row, "latency": row["delay_ms"], "cost_usd": row["cost"]}
        lines.append(",".join(_helicone_csv_cell(cells.get(name)) for name in HELICONE_CSV_COLUMNS))
    table.write_text("\n".join(lines) + "\n")
    return {"jsonl": jsonl, "json": array, "csv": table}


def test_helicone_exports_are_imported_through_a_server(start_server, tmp_path: Path):
    server: HeliographProcess = start_server()
    files = _write_helicone_files(tmp_path)
    for kind in ("jsonl", "json"):
        args = (str(files[kind]), "--format", "helicone", "--url", server.url)
        code, said = _import(*args, "--key", server.api_key)
        assert code == 0, said
    assert "imported 0 request(s)" in said and "2 skipped as already stored" in said
    first = server.wait_for_request(HELICONE_ROWS[0]["request_id"])
    source = HELICONE_ROWS[0]
    for name in ("request_body", "response_body", "request_user_id", "request_properties",
                 "model", "provider", "prompt_tokens", "completion_tokens", "delay_ms",
                 "time_to_first_token", "response_status"):  # fmt: skip
        assert first[name] == source[name], name
    assert first["cost"] == source["cost"]
    assert first["request_path"] == source["request_path"]
    assert first["request_created_at"] == "2024-08-02 10:00:00.123"
    limited = server.wait_for_request(HELICONE_ROWS[1]["request_id"])
    assert (limited["response_status"], limited["model"], limited["provider"]) == (
        429, "claude-3-5-sonnet-20241022", "ANTHROPIC",
    )  # fmt: skip
    assert (limited["prompt_tokens"], limited["cost"], limited["request_user_id"]) == (None, 0, "")

    # The CSV has no request_id: its response_id names the call.
    code, said = _import(str(files["csv"]), "--format", "helicone", "--url", server.url,
                         "--key", server.api_key)  # fmt: skip
    assert code == 0 and "imported 2 request(s)" in said, said
    from_csv = server.wait_for_request(HELICONE_ROWS[0]["response_id"])
    assert from_csv["request_body"] == source["request_body"]
    assert from_csv["request_properties"] == source["request_properties"]
    assert (from_csv["prompt_tokens"], from_csv["completion_tokens"]) == (12, 5)
    assert (from_csv["delay_ms"], from_csv["cost"], from_csv["model"]) == (
        1333, 0.0001234, "gpt-4o-mini",
    )  # fmt: skip


LITELLM_KEY_HASH = "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
LITELLM_ROWS = [
    {
        "request_id": "chatcmpl-9f8e7d6c5b4a",
        "call_type": "acompletion",
        "api_key": LITELLM_KEY_HASH,
        "spend": 0.00042,
        "total_tokens": 130,
        "prompt_tokens": 100,
        "completion_tokens": 30,
        "startTime": "2024-06-26T10:01:02.123000Z",
        "endTime": "2024-06-26T10:01:03.623000Z",
        "completionStartTime": "2024-06-26T10:01:02.423000Z",
        "request_duration_ms": 1500,
        "model": "gpt-4o-mini",
        "model_id": "b3f1...",
        "model_group": "fast",
        "custom_llm_provider": "openai",
        "api_base": "https://api.openai.com/v1",
        "user": "internal-user-1",
        "metadata": {
            "user_api_key": LITELLM_KEY_HASH,
            "user_api_key_alias": "ci-key",
            "user_api_key_team_id": "team-9",
            "user_api_key_user_id": "internal-user-1",
            "spend_logs_metadata": {"job": "nightly", "attempt": 2},
            "requester_ip_address": "10.1.2.3",
            "usage_object": {
                "prompt_tokens": 100,
                "completion_tokens": 30,
                "prompt_tokens_details": {"cached_tokens": 64},
            },
            "status": "success",
        },
        "cache_hit": "False",
        "cache_key": "",
        "request_tags": ["jobID:214590", "batch"],
        "team_id": "team-9",
        "organization_id": None,
        "end_user": "palantir",
        "requester_ip_address": "10.1.2.3",
        "messages": [{"role": "user", "content": "write a short poem"}],
        "response": {"id": "chatcmpl-9f8e7d6c5b4a", "object": "chat.completion", "choices": []},
        "session_id": "4e1b2c3d-0000-4000-8000-00000000aaaa",
        "status": "success",
    },
    {
        "request_id": "5a0d9a3e-6b1c-4f7e-8d2a-9c3b4e5f6a70",
        "call_type": "aembedding",
        "api_key": LITELLM_KEY_HASH,
        "spend": 0.0,
        "total_tokens": 8,
        "prompt_tokens": 8,
        "completion_tokens": 0,
        "startTime": "2024-06-26T10:05:00.000000Z",
        "endTime": "2024-06-26T10:05:00.250000Z",
        "model": "text-embedding-3-small",
        "custom_llm_provider": "openai",
        "api_base": "",
        "user": "",
        "metadata": {},
        "cache_hit": "",
        "request_tags": [],
        "end_user": "",
        "messages": {},
        "response": {},
        "status": "failure",
    },
]


def _litellm_csv(path: Path) -> None:
    """As PostgreSQL's `\\copy "LiteLLM_SpendLogs" TO ... CSV HEADER` writes the rows:
    JSON columns as JSON text, times as `YYYY-MM-DD HH:MM:SS.ffffff`, null as empty."""
    columns = list(LITELLM_ROWS[0])
    with path.open("w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(columns)
        for row in LITELLM_ROWS:
            cells = []
            for name in columns:
                value = row.get(name)
                if isinstance(value, dict | list):
                    value = orjson.dumps(value).decode()
                elif name in ("startTime", "endTime", "completionStartTime") and value:
                    value = value.replace("T", " ").rstrip("Z")
                cells.append("" if value is None else value)
            writer.writerow(cells)


def test_litellm_spend_logs_are_imported_into_the_store(tmp_path: Path):
    operator = Operator(tmp_path / "data")
    operator.ok("orgs", "create", "acme")
    spend_logs = tmp_path / "spend_logs.json"
    spend_logs.write_bytes(orjson.dumps(LITELLM_ROWS, option=orjson.OPT_INDENT_2))
    code, said = _import(str(spend_logs), "--format", "litellm", "--org", "acme",
                         "--data-dir", str(operator.data_dir))  # fmt: skip
    assert code == 0, said
    rows = _export(operator, tmp_path / "out.jsonl", "acme")
    assert LITELLM_KEY_HASH not in orjson.dumps(rows).decode(), "a key hash is never imported"
    assert "10.1.2.3" not in orjson.dumps(rows).decode()
    chat, embedding = rows
    assert chat["request_id"] == str(
        uuid.uuid5(
            uuid.UUID("6f1d6c3e-2b7a-4d0e-9a51-3c8e2f4b7d10"), "litellm:chatcmpl-9f8e7d6c5b4a"
        )
    )
    assert chat["request_properties"] == {
        "LiteLLM-Request-Id": "chatcmpl-9f8e7d6c5b4a",
        "user_api_key_alias": "ci-key",
        "user_api_key_team_id": "team-9",
        "user_api_key_user_id": "internal-user-1",
        "job": "nightly",
        "attempt": "2",
        "LiteLLM-Tags": "jobID:214590,batch",
        "LiteLLM-Call-Type": "acompletion",
        "LiteLLM-Model-Group": "fast",
        "LiteLLM-Cache-Hit": "False",
        "LiteLLM-Team-Id": "team-9",
        "Helicone-Session-Id": "4e1b2c3d-0000-4000-8000-00000000aaaa",
    }
    assert (chat["model"], chat["provider"], chat["request_user_id"]) == (
        "gpt-4o-mini", "OPENAI", "palantir",
    )  # fmt: skip
    assert (chat["prompt_tokens"], chat["completion_tokens"]) == (100, 30)
    assert chat["prompt_cache_read_tokens"] == 64
    assert (chat["cost"], chat["delay_ms"], chat["time_to_first_token"]) == (0.00042, 1500, 300)
    assert chat["request_created_at"] == "2024-06-26 10:01:02.123"
    assert chat["request_body"] == {"model": "gpt-4o-mini", "messages": LITELLM_ROWS[0]["messages"]}
    assert chat["response_body"] == LITELLM_ROWS[0]["response"]
    assert chat["request_path"] == "https://api.openai.com/v1"
    assert embedding["request_id"] == LITELLM_ROWS[1]["request_id"], "a UUID id is kept"
    assert (embedding["response_status"], embedding["cost"], embedding["prompt_tokens"]) == (
        500, 0, 8,
    )  # fmt: skip

    # The same rows from PostgreSQL's CSV are the same calls: nothing new.
    table = tmp_path / "spend_logs.csv"
    _litellm_csv(table)
    code, said = _import(str(table), "--format", "litellm", "--org", "acme",
                         "--data-dir", str(operator.data_dir))  # fmt: skip
    assert code == 0 and "imported 0 request(s)" in said and "2 skipped" in said, said


def test_bad_records_are_rejected_whole_and_listed_by_line(start_server, tmp_path: Path):
    server: HeliographProcess = start_server()
    good = {**HELICONE_ROWS[0], "request_id": str(uuid.uuid4())}
    negative = {**good, "request_id": str(uuid.uuid4()), "prompt_tokens": -3}
    # The server refuses this one (no HTTP status is that large): still a rejection.
    huge_status = {**good, "request_id": str(uuid.uuid4()), "response_status": 10**12}
    lines = [orjson.dumps(good), b"{not json", orjson.dumps(negative), b"",
             orjson.dumps({**good, "request_created_at": "yesterday"}), orjson.dumps(huge_status),
             b"[1, 2]", orjson.dumps({**good, "request_id": "not-a-uuid"}),
             orjson.dumps(good)]  # fmt: skip
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = run_cli("import", str(path), "--url", server.url, "--key", server.api_key)
    assert result.returncode == 1
    said = result.stderr.splitlines()
    assert said[0] == (
        f"imported 1 request(s) from {path}; 1 skipped as already stored; 6 rejected"
    )
    assert said[1].startswith("  line 2: not JSON")
    assert said[2] == "  line 3: prompt_tokens must be a finite number, not negative: -3"
    assert said[3] == "  line 5: request_created_at is not an ISO 8601 time: 'yesterday'"
    assert said[4].startswith("  line 6: Invalid async log: 'providerResponse.status'")
    assert said[5] == "  line 7: not a JSON object"
    assert said[6:] == ["  ... and 1 more"]
    server.wait_for_request(good["request_id"])
    for refused in (negative, huge_status):
        answer = server.request("GET", f"/v1/request/{refused['request_id']}",
                                headers={"Authorization": f"Bearer {server.api_key}"})  # fmt: skip
        assert answer.status_code == 404, "a rejected record leaves no row"

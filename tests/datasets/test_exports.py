"""Exports (OpenAI fine-tuning JSONL, CSV, JSON) and imports (JSONL, CSV) of a dataset."""

from __future__ import annotations

import csv
import io

import orjson

from tests.datasets.helpers import ISO_TIME, call, data, export, logged_call, new_dataset, rows
from tests.inprocess import InProcessServer

FINE_TUNING = [  # features/datasets' JSONL example
    {
        "messages": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there!"},
        ]
    },
    {
        "messages": [
            {"role": "user", "content": "Help me"},
            {"role": "assistant", "content": "I'd be happy to help!"},
        ]
    },
]


def _jsonl(items: list[object]) -> str:
    return "".join(orjson.dumps(item).decode() + "\n" for item in items)


def test_the_jsonl_export_is_openai_fine_tuning_and_csv_and_json_hold_every_row(
    server: InProcessServer,
):
    key = server.new_organization("datasets-export")
    first = logged_call(server, key, "What is 2+2?")
    second = logged_call(server, key, "Name a colour")
    dataset_id = new_dataset(server, key, [first, second], name="Support: v1")
    curated = {row["origin_request_id"]: row for row in rows(server, key, dataset_id)}
    answers = {
        request_id: curated[request_id]["response_body"]["choices"][0]["message"]["content"]
        for request_id in (first, second)
    }

    jsonl = export(server, key, dataset_id, "jsonl")
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"] == "application/jsonl"
    assert jsonl.headers["content-disposition"] == 'attachment; filename="Support--v1.jsonl"'
    assert [orjson.loads(line) for line in jsonl.text.splitlines()] == [
        {
            "messages": [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answers[request_id]},
            ]
        }
        for request_id, question in ((first, "What is 2+2?"), (second, "Name a colour"))
    ]

    table = export(server, key, dataset_id, "csv")
    assert table.headers["content-type"].startswith("text/csv")
    records = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["request_id"], r["user_message"], r["assistant_response"]) for r in records] == [
        (first, "What is 2+2?", answers[first]),
        (second, "Name a colour", answers[second]),
    ]
    assert list(records[0]) == [
        "request_id",
        "created_at",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "user_message",
        "assistant_response",
    ]
    assert records[0]["model"] == "gpt-4o-mini"
    assert records[0]["created_at"] == ISO_TIME

    whole = export(server, key, dataset_id, "json")
    assert whole.headers["content-type"] == "application/json"
    assert sorted(whole.json(), key=lambda row: row["id"]) == sorted(
        curated.values(), key=lambda row: row["id"]
    )


def test_empty_exports_are_well_formed(server: InProcessServer):
    key = server.new_organization("datasets-empty")
    dataset_id = new_dataset(server, key, [])
    assert export(server, key, dataset_id, "jsonl").content == b""
    assert export(server, key, dataset_id, "json").json() == []
    assert export(server, key, dataset_id, "csv").text.startswith("request_id,created_at,")


def test_a_fine_tuning_file_imports_and_exports_back_as_it_was(server: InProcessServer):
    key = server.new_organization("datasets-import")
    dataset_id = new_dataset(server, key, [])
    path = f"/v1/helicone-dataset/{dataset_id}/import"
    imported = data(server, key, path, {"format": "jsonl", "content": _jsonl(FINE_TUNING)})
    assert imported == {"imported": 2}
    exported = export(server, key, dataset_id, "jsonl").text
    assert [orjson.loads(line) for line in exported.splitlines()] == FINE_TUNING
    held = rows(server, key, dataset_id)
    assert {row["origin_request_id"] for row in held} == {None}

    table = 'user_message,assistant_response,model\nHow are you?,"Fine, thanks.",gpt-4o\n'
    assert data(server, key, path, {"format": "csv", "content": table}) == {"imported": 1}
    records = list(csv.DictReader(io.StringIO(export(server, key, dataset_id, "csv").text)))
    assert [(r["user_message"], r["assistant_response"], r["model"]) for r in records][-1] == (
        "How are you?",
        "Fine, thanks.",
        "gpt-4o",
    )


def test_a_bad_import_is_refused_whole(server: InProcessServer):
    key = server.new_organization("datasets-bad-import")
    dataset_id = new_dataset(server, key, [])
    path = f"/v1/helicone-dataset/{dataset_id}/import"
    bad = _jsonl(FINE_TUNING) + "not json\n"
    refused = call(server, key, path, {"format": "jsonl", "content": bad})
    assert refused.json() == {"data": None, "error": "Line 3 is not JSON"}
    no_answer = _jsonl([{"messages": [{"role": "user", "content": "hi"}]}])
    refused = call(server, key, path, {"format": "jsonl", "content": no_answer})
    assert refused.json()["error"] == "line 1's last message is not the assistant's"
    refused = call(server, key, path, {"format": "csv", "content": "a,b\n1,2\n"})
    assert refused.status_code == 400
    assert data(server, key, f"/v1/helicone-dataset/{dataset_id}/count") == 0

"""Helicone's /v1/helicone-dataset endpoints on the in-process app (SQLite and PostgreSQL):
Helicone's documented calls with only the base URL and key changed, curation by id and by
filter, rows with their bodies, edits that leave the log alone, and copies that outlive
changes to the log."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.datasets.helpers import ISO_TIME, Text, call, data, logged_call, new_dataset, rows
from tests.inprocess import InProcessServer


def _logged(server: InProcessServer, key: str, request_id: str) -> dict[str, Any]:
    with server.api(key) as client:
        answer = client.get(f"/v1/request/{request_id}")
    assert answer.status_code == 200, answer.text
    logged: dict[str, Any] = answer.json()["data"]
    return logged


def test_the_documented_api_example_creates_a_dataset_adds_a_request_and_reads_it(
    server: InProcessServer,
):
    """features/datasets: create with name and description, add a request by id, then
    /query with limit and offset."""
    key = server.new_organization("datasets-docs")
    request_id = logged_call(server, key, "Where is my order?")
    with server.api(key) as client:
        created = client.post(
            "/v1/helicone-dataset",
            json={
                "name": "Customer Support Examples",
                "description": "High-quality support interactions for fine-tuning",
            },
        )
        assert created.status_code == 200, created.text
        assert created.json() == {"data": {"datasetId": Text()}, "error": None}
        dataset_id = created.json()["data"]["datasetId"]
        added = client.post(f"/v1/helicone-dataset/{dataset_id}/request/{request_id}")
        assert added.json() == {"data": None, "error": None}
        page = client.post(
            f"/v1/helicone-dataset/{dataset_id}/query", json={"limit": 100, "offset": 0}
        )
    logged = _logged(server, key, request_id)
    assert page.json()["data"] == [
        {
            "id": Text(),
            "dataset_id": dataset_id,
            "origin_request_id": request_id,
            "created_at": ISO_TIME,
            "updated_at": Text(),
            "model": "gpt-4o-mini",
            "request_body": logged["request_body"],
            "response_body": logged["response_body"],
            "prompt_tokens": logged["prompt_tokens"],
            "completion_tokens": logged["completion_tokens"],
            "cost": pytest.approx(logged["cost"]),
            "request_created_at": Text(),
            "inputs": None,
        }
    ]
    listed = data(server, key, "/v1/helicone-dataset/query", {})
    assert [(d["id"], d["name"], d["requests_count"]) for d in listed] == [
        (dataset_id, "Customer Support Examples", 1)
    ]
    assert listed[0]["description"] == "High-quality support interactions for fine-tuning"
    assert listed[0]["dataset_type"] == "helicone"


def test_requests_are_added_and_removed_one_or_many_and_never_twice(server: InProcessServer):
    key = server.new_organization("datasets-mutate")
    first, second, third = (logged_call(server, key, f"q{i}") for i in range(3))
    dataset_id = new_dataset(server, key, [first])
    path = f"/v1/helicone-dataset/{dataset_id}"
    data(
        server, key, f"{path}/mutate", {"addRequests": [first, second, third], "removeRequests": []}
    )
    assert data(server, key, f"{path}/count") == 3
    held = {row["origin_request_id"]: row["id"] for row in rows(server, key, dataset_id)}
    assert set(held) == {first, second, third}
    # Remove by row id (Helicone's) and by the request id a row was copied from.
    data(server, key, f"{path}/mutate", {"addRequests": [], "removeRequests": [held[first], third]})
    assert [row["origin_request_id"] for row in rows(server, key, dataset_id)] == [second]
    listed = data(server, key, "/v1/helicone-dataset/query", {"datasetIds": [dataset_id]})
    assert listed[0]["requests_count"] == 1


def test_a_filter_adds_the_requests_it_matches(server: InProcessServer):
    key = server.new_organization("datasets-filter")
    wanted = [logged_call(server, key, f"keep {i}", tag="keep") for i in range(3)]
    logged_call(server, key, "leave out", tag="other")
    dataset_id = new_dataset(server, key, [])
    match = {"request_response_rmt": {"properties": {"Set": {"equals": "keep"}}}}
    data(
        server,
        key,
        f"/v1/helicone-dataset/{dataset_id}/mutate",
        {"filter": match, "filterLimit": 2},
    )
    assert data(server, key, f"/v1/helicone-dataset/{dataset_id}/count") == 2
    data(server, key, f"/v1/helicone-dataset/{dataset_id}/mutate", {"filter": match})
    held = {row["origin_request_id"] for row in rows(server, key, dataset_id)}
    assert held == set(wanted)


def test_editing_a_row_changes_the_copy_and_never_the_logged_request(server: InProcessServer):
    key = server.new_organization("datasets-edit")
    request_id = logged_call(server, key, "original question")
    logged_before = _logged(server, key, request_id)
    dataset_id = new_dataset(server, key, [request_id])
    (row,) = rows(server, key, dataset_id)
    better = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Better."}}]}
    path = f"/v1/helicone-dataset/{dataset_id}/request/{row['id']}"
    data(server, key, path, {"requestBody": row["request_body"], "responseBody": better})
    (edited,) = rows(server, key, dataset_id)
    assert edited["response_body"] == better
    assert edited["request_body"] == row["request_body"]
    assert _logged(server, key, request_id)["response_body"] == logged_before["response_body"]
    # Only the request body, named by the request's id this time.
    asked = {"messages": [{"role": "user", "content": "edited question"}]}
    data(
        server,
        key,
        f"/v1/helicone-dataset/{dataset_id}/request/{request_id}",
        {"requestBody": asked},
    )
    (edited,) = rows(server, key, dataset_id)
    assert (edited["request_body"], edited["response_body"]) == (asked, better)
    missing = call(
        server,
        key,
        f"/v1/helicone-dataset/{dataset_id}/request/{uuid.uuid4()}",
        {"requestBody": asked},
    )
    assert missing.status_code == 404


def test_a_row_keeps_what_was_curated_when_the_log_changes(server: InProcessServer):
    """The same request id logged again (a newer version of the row) leaves the copy."""
    key = server.new_organization("datasets-copy")
    request_id = logged_call(server, key, "first wording")
    dataset_id = new_dataset(server, key, [request_id])
    logged_call(server, key, "second wording", request_id=request_id)
    for _ in range(50):
        body = _logged(server, key, request_id)["request_body"]
        if body["messages"][0]["content"] == "second wording":
            break
    else:
        pytest.fail("the second call was never the newest version")
    (row,) = rows(server, key, dataset_id)
    assert row["request_body"]["messages"] == [{"role": "user", "content": "first wording"}]


def test_unknown_requests_bad_names_and_deleted_datasets(server: InProcessServer):
    key = server.new_organization("datasets-errors")
    never_logged = str(uuid.uuid4())
    refused = call(
        server, key, "/v1/helicone-dataset", {"datasetName": "x", "requestIds": [never_logged]}
    )
    assert refused.status_code == 404
    assert refused.json() == {"data": None, "error": f"Request not found: {never_logged}"}
    assert data(server, key, "/v1/helicone-dataset/query", {}) == []  # nothing half-made
    nameless = call(server, key, "/v1/helicone-dataset", {"requestIds": []})
    assert nameless.status_code == 400
    dataset_id = new_dataset(server, key, [])
    assert data(server, key, f"/v1/helicone-dataset/{dataset_id}/delete") is None
    for path in ("count", "delete"):
        gone = call(server, key, f"/v1/helicone-dataset/{dataset_id}/{path}")
        assert gone.json() == {"data": None, "error": "Dataset not found"}
    assert call(server, key, f"/v1/helicone-dataset/{dataset_id}/query", {}).status_code == 404

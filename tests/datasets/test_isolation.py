"""Organizations never see or change each other's datasets: another organization's key gets
a 404 on every endpoint naming a dataset, never its data, changes nothing, and cannot copy
another organization's requests into a dataset of its own."""

from __future__ import annotations

import uuid
from typing import Any

from tests.datasets.helpers import call, data, export, logged_call, new_dataset, rows
from tests.inprocess import InProcessServer

NOT_FOUND = {"data": None, "error": "Dataset not found"}


def _dataset_calls(dataset_id: str, row_id: str, request_id: str) -> list[tuple[str, Any]]:
    """Every POST that names a dataset, with a valid body."""
    edit = {"requestBody": {"messages": []}, "responseBody": {"stolen": True}}
    return [
        (f"/v1/helicone-dataset/{dataset_id}/query", {"offset": 0, "limit": 10}),
        (f"/v1/helicone-dataset/{dataset_id}/count", None),
        (f"/v1/helicone-dataset/{dataset_id}/mutate", {"removeRequests": [row_id]}),
        (f"/v1/helicone-dataset/{dataset_id}/request/{row_id}", edit),
        (
            f"/v1/helicone-dataset/{dataset_id}/import",
            {"format": "csv", "content": "user_message,assistant_response\na,b\n"},
        ),
        (f"/v1/experiment/dataset/{dataset_id}/version/v1/row", {"inputs": {"a": "b"}}),
        (f"/v1/experiment/dataset/{dataset_id}/inputs/query", None),
        (f"/v1/experiment/dataset/{dataset_id}/mutate", {"removeRequests": [row_id]}),
        (f"/v1/helicone-dataset/{dataset_id}/delete", None),
    ]


def test_another_organization_gets_404_everywhere_and_changes_nothing(server: InProcessServer):
    owner = server.new_organization("datasets-owner")
    other = server.new_organization("datasets-other")
    request_id = logged_call(server, owner, "private question")
    others_request = logged_call(server, other, "their question")
    dataset_id = new_dataset(server, owner, [request_id], name="private")
    before = rows(server, owner, dataset_id)
    (row,) = before

    for path, body in _dataset_calls(dataset_id, row["id"], request_id):
        answer = call(server, other, path, body)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), path
    # Adding: the owner's request into the other's dataset, as it would be added.
    answer = call(server, other, f"/v1/helicone-dataset/{dataset_id}/request/{others_request}")
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
    answer = call(
        server,
        other,
        f"/v1/helicone-dataset/{dataset_id}/mutate",
        {"addRequests": [others_request]},
    )
    assert answer.status_code == 404
    for fmt in ("jsonl", "csv", "json"):
        answer = export(server, other, dataset_id, fmt)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
    assert data(server, other, "/v1/helicone-dataset/query", {}) == []
    assert data(server, other, "/v1/helicone-dataset/query", {"datasetIds": [dataset_id]}) == []
    assert data(server, other, "/v1/experiment/dataset/query", {}) == []

    assert rows(server, owner, dataset_id) == before
    listed = data(server, owner, "/v1/helicone-dataset/query", {})
    assert [(d["id"], d["requests_count"]) for d in listed] == [(dataset_id, 1)]


def test_another_organizations_requests_cannot_be_copied(server: InProcessServer):
    owner = server.new_organization("datasets-victim")
    thief = server.new_organization("datasets-thief")
    secret = logged_call(server, owner, "secret question", tag="secret")
    own = new_dataset(server, thief, [])
    attempts = [
        ("/v1/helicone-dataset", {"datasetName": "stolen", "requestIds": [secret]}),
        ("/v1/experiment/dataset", {"datasetName": "stolen", "requestIds": [secret]}),
        (f"/v1/helicone-dataset/{own}/mutate", {"addRequests": [secret]}),
        (f"/v1/helicone-dataset/{own}/request/{secret}", None),
        (f"/v1/experiment/dataset/{own}/mutate", {"addRequests": [secret]}),
        (f"/v1/experiment/dataset/{own}/version/v1/row", {"inputs": {}, "sourceRequest": secret}),
    ]
    for path, body in attempts:
        answer = call(server, thief, path, body)
        assert answer.json() == {"data": None, "error": f"Request not found: {secret}"}, path
    by_filter = {"request_response_rmt": {"properties": {"Set": {"equals": "secret"}}}}
    data(server, thief, f"/v1/helicone-dataset/{own}/mutate", {"filter": by_filter})
    random = data(
        server, thief, "/v1/experiment/dataset/random", {"datasetName": "r", "filter": by_filter}
    )
    assert data(server, thief, f"/v1/helicone-dataset/{own}/count") == 0
    assert data(server, thief, f"/v1/experiment/dataset/{random['datasetId']}/inputs/query") == []
    assert str(uuid.UUID(random["datasetId"])) == random["datasetId"]

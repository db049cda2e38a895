"""Helicone's /v1/experiment/dataset family: datasets made from requests or a filter, listed
by prompt version, with input rows."""

from __future__ import annotations

from tests.datasets.helpers import ISO_TIME, data, logged_call, rows
from tests.inprocess import InProcessServer


def test_an_experiment_dataset_of_requests_with_input_rows(server: InProcessServer):
    key = server.new_organization("datasets-experiment")
    request_id = logged_call(server, key, "Summarise this")
    body = {
        "datasetName": "Experiment inputs",
        "requestIds": [request_id],
        "datasetType": "experiment",
        "meta": {"promptVersionId": "version-1"},
    }
    dataset_id = data(server, key, "/v1/experiment/dataset", body)["datasetId"]
    data(server, key, "/v1/experiment/dataset", {"datasetName": "Other", "requestIds": []})

    listed = data(server, key, "/v1/experiment/dataset/query", {"promptVersionId": "version-1"})
    assert listed == [
        {
            "id": dataset_id,
            "name": "Experiment inputs",
            "created_at": ISO_TIME,
            "meta": {"promptVersionId": "version-1"},
        }
    ]
    assert len(data(server, key, "/v1/experiment/dataset/query", {})) == 2
    # Experiment datasets are not Helicone datasets (the /v1/helicone-dataset list).
    assert data(server, key, "/v1/helicone-dataset/query", {}) == []

    path = f"/v1/experiment/dataset/{dataset_id}/version/version-2/row"
    row_id = data(server, key, path, {"inputs": {"topic": "cats"}, "sourceRequest": request_id})
    plain_id = data(server, key, path, {"inputs": {"topic": "dogs"}})
    records = data(server, key, f"/v1/experiment/dataset/{dataset_id}/inputs/query")
    assert [(r["id"], r["inputs"], r["source_request"], r["prompt_version"]) for r in records] == [
        (records[0]["id"], {}, request_id, "version-1"),
        (row_id, {"topic": "cats"}, request_id, "version-2"),
        (plain_id, {"topic": "dogs"}, None, "version-2"),
    ]
    held = {row["id"]: row for row in rows(server, key, dataset_id)}
    # The input row made from a request holds a copy of its bodies.
    assert held[row_id]["request_body"] == held[records[0]["id"]]["request_body"]
    assert held[plain_id]["request_body"] == {}

    data(server, key, f"/v1/experiment/dataset/{dataset_id}/mutate", {"removeRequests": [row_id]})
    records = data(server, key, f"/v1/experiment/dataset/{dataset_id}/inputs/query")
    assert [r["id"] for r in records] == [records[0]["id"], plain_id]


def test_a_random_dataset_holds_requests_the_filter_matches(server: InProcessServer):
    key = server.new_organization("datasets-random")
    tagged = [logged_call(server, key, f"pick {i}", tag="pick") for i in range(3)]
    logged_call(server, key, "skip", tag="skip")
    match = {"request_response_rmt": {"properties": {"Set": {"equals": "pick"}}}}
    body = {"datasetName": "Sample", "filter": match, "offset": 1, "limit": 5}
    dataset_id = data(server, key, "/v1/experiment/dataset/random", body)["datasetId"]
    held = [row["origin_request_id"] for row in rows(server, key, dataset_id)]
    # Newest first from offset 1: the two oldest tagged requests.
    assert sorted(held) == sorted(tagged[:2])

"""The /v2/experiment endpoints other than runs: experiments made from a version, from
nothing, from a logged request; rows typed in, from a dataset, changed and removed; one
cell run (run-hypothesis); bad input; and another organization seeing none of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.experiments.rules import MAX_OUTPUTS_PER_CELL
from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import in_process_app
from tests.experiments.helpers import call, prompt_experiment, wait_until_idle
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(fake_provider, tmp_path_factory, "experiments-api")


@pytest.fixture(scope="module")
def key(server: InProcessServer) -> str:
    return server.create_key(server.new_organization("experiments-api"))


def assembled_call(server: InProcessServer, key: str, prompt_id: str, version_id: str) -> str:
    request_id = str(uuid.uuid4())
    answer = server.request(
        "POST",
        "/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}", "Helicone-Request-Id": request_id},
        json={"prompt_id": prompt_id, "version_id": version_id, "inputs": {"topic": "owls"}},
    )
    assert answer.status_code == 200, answer.text
    server.wait_for_request(request_id, key)
    return request_id


def test_an_experiment_is_listed_read_and_deleted(server: InProcessServer, key: str):
    _, experiment, original, edited = prompt_experiment(server, key)
    listed = call(server, key, "GET", "/v2/experiment")
    shown = next(e for e in listed if e["id"] == experiment)
    assert shown["original_prompt_version"] == original and shown["input_keys"] == ["topic"]
    assert (shown["prompt_name"], shown["row_count"]) == ("Topics", 0)
    versions = call(server, key, "GET", f"/v2/experiment/{experiment}/prompt-versions")
    assert [v["id"] for v in versions] == [original, edited]
    assert versions[1]["metadata"] == {"label": "briefer"}
    assert versions[1]["helicone_template"]["messages"][1]["content"].startswith("reply: second")
    call(server, key, "DELETE", f"/v2/experiment/{experiment}/prompt-version/{edited}")
    versions = call(server, key, "GET", f"/v2/experiment/{experiment}/prompt-versions")
    assert [v["id"] for v in versions] == [original]
    call(server, key, "DELETE", f"/v2/experiment/{experiment}")
    with server.api(key) as client:
        assert client.get(f"/v2/experiment/{experiment}").status_code == 404


def test_rows_are_added_changed_and_removed(server: InProcessServer, key: str):
    _, experiment, original, _ = prompt_experiment(server, key)
    path = f"/v2/experiment/{experiment}"
    first = call(server, key, "POST", f"{path}/add-manual-row", {"inputs": {"topic": "bees"}})
    call(server, key, "POST", f"{path}/add-manual-rows-batch", {"inputs": [{"topic": "ants"}]})
    call(
        server,
        key,
        "POST",
        f"{path}/row/update",
        {"inputRecordId": first, "inputs": {"topic": "wasps"}},
    )
    shown = call(server, key, "GET", path)
    assert [row["inputs"] for row in shown["rows"]] == [{"topic": "wasps"}, {"topic": "ants"}]
    assert shown["row_count"] == 2
    request_id = call(
        server,
        key,
        "POST",
        f"{path}/run-hypothesis",
        {"promptVersionId": original, "inputRecordId": first},
    )
    wait_until_idle(server, key, experiment)
    row = server.wait_for_request(request_id, key)
    assert row["prompt_version"] == original
    [output] = call(server, key, "GET", path)["rows"][0]["requests"]
    assert output["request_id"] == request_id and output["status"] == "done"
    call(server, key, "DELETE", f"{path}/rows", {"inputRecordIds": [first]})
    assert [row["inputs"] for row in call(server, key, "GET", path)["rows"]] == [{"topic": "ants"}]


def test_rows_come_from_a_dataset_and_experiments_from_a_request(server: InProcessServer, key: str):
    prompt_id, experiment, original, _ = prompt_experiment(server, key)
    logged = assembled_call(server, key, prompt_id, original)
    dataset = call(
        server, key, "POST", "/v1/helicone-dataset", {"datasetName": "owls", "requestIds": [logged]}
    )["datasetId"]
    call(server, key, "POST", f"/v2/experiment/{experiment}/row/insert/dataset/{dataset}")
    [row] = call(server, key, "GET", f"/v2/experiment/{experiment}")["rows"]
    assert row["inputs"] == {"topic": "owls"}
    [original_output] = row["requests"]
    assert original_output["request_id"] == logged and original_output["is_original"]

    made = call(server, key, "POST", f"/v2/experiment/create/from-request/{logged}")
    shown = call(server, key, "GET", f"/v2/experiment/{made['experimentId']}")
    assert shown["original_prompt_version"] == original
    assert [r["inputs"] for r in shown["rows"]] == [{"topic": "owls"}]

    empty = call(server, key, "POST", "/v2/experiment/create/empty")["experimentId"]
    [version] = call(server, key, "GET", f"/v2/experiment/{empty}/prompt-versions")
    assert version["helicone_template"]["model"] == "gpt-4o"


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/new", {"name": "", "originalPromptVersion": "v"}, "name"),
        ("/{id}/add-manual-rows-batch", {"inputs": "nope"}, "inputs"),
        ("/{id}/run", {"concurrency": 0}, "concurrency"),
        ("/{id}/run", {"concurrency": 33}, "concurrency"),
        ("/{id}/promote", {"promptVersionId": "v", "environment": "no spaces"}, "environment"),
        ("/{id}/prompt-version", {}, "newHeliconeTemplate"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    server: InProcessServer, key: str, path: str, body: dict[str, Any], named: str
):
    _, experiment, _, _ = prompt_experiment(server, key)
    with server.api(key) as client:
        answer = client.post("/v2/experiment" + path.replace("{id}", experiment), json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["data"] is None and named in answer.json()["error"]


def test_an_unknown_version_or_row_is_404(server: InProcessServer, key: str):
    _, experiment, original, _ = prompt_experiment(server, key)
    with server.api(key) as client:
        missing = client.post(
            "/v2/experiment/new", json={"name": "x", "originalPromptVersion": str(uuid.uuid4())}
        )
        assert missing.status_code == 404
        hypothesis = {"promptVersionId": original, "inputRecordId": str(uuid.uuid4())}
        assert (
            client.post(f"/v2/experiment/{experiment}/run-hypothesis", json=hypothesis).status_code
            == 404
        )
        run = {"promptVersionIds": [str(uuid.uuid4())]}
        assert client.post(f"/v2/experiment/{experiment}/run", json=run).status_code == 404


def test_another_organization_sees_nothing(server: InProcessServer, key: str):
    _, experiment, original, _ = prompt_experiment(server, key)
    row = call(
        server,
        key,
        "POST",
        f"/v2/experiment/{experiment}/add-manual-row",
        {"inputs": {"topic": "x"}},
    )
    other = server.create_key(server.new_organization("experiments-other"))
    path = f"/v2/experiment/{experiment}"
    attempts = [
        ("GET", path, None),
        ("GET", f"{path}/prompt-versions", None),
        ("GET", f"{path}/input-keys", None),
        ("GET", f"{path}/progress", None),
        ("GET", f"{path}/results", None),
        ("GET", f"{path}/evaluators", None),
        ("GET", f"{path}/{original}/scores", None),
        ("POST", f"{path}/add-manual-row", {"inputs": {"topic": "y"}}),
        ("POST", f"{path}/row/update", {"inputRecordId": row, "inputs": {}}),
        ("DELETE", f"{path}/rows", {"inputRecordIds": [row]}),
        ("POST", f"{path}/run", {}),
        ("POST", f"{path}/stop", None),
        ("POST", f"{path}/estimate", {}),
        ("POST", f"{path}/run-hypothesis", {"promptVersionId": original, "inputRecordId": row}),
        ("POST", f"{path}/promote", {"promptVersionId": original}),
        ("POST", f"{path}/prompt-version", {"promptVersionId": original}),
        ("POST", "/v2/experiment/new", {"name": "steal", "originalPromptVersion": original}),
        ("POST", f"{path}/evaluators", {"evaluatorId": str(uuid.uuid4())}),
        ("DELETE", f"{path}/evaluators/{uuid.uuid4()}", None),
        ("POST", f"{path}/evaluators/run", None),
        ("GET", f"{path}/should-run-evaluators", None),
        ("GET", f"{path}/{uuid.uuid4()}/helpful", None),
        ("DELETE", f"{path}/prompt-version/{original}", None),
        ("POST", f"{path}/row/insert/batch", {"rows": [{"inputRecordId": row, "inputs": {}}]}),
        ("POST", f"{path}/row/insert/dataset/{uuid.uuid4()}", None),
        ("POST", f"{path}/add-manual-rows-batch", {"inputs": [{"topic": "z"}]}),
        ("POST", f"/v2/experiment/create/from-request/{uuid.uuid4()}", None),
        ("DELETE", path, None),
    ]
    with server.api(other) as client:
        for method, url, body in attempts:
            answer = client.request(method, url, json=body)
            assert answer.status_code == 404, f"{method} {url}: {answer.text}"
        assert client.get("/v2/experiment").json()["data"] == []
    assert call(server, key, "GET", path)["rows"][0]["inputs"] == {"topic": "x"}
    # The other organization's run and run-hypothesis queued nothing here.
    assert call(server, key, "GET", f"{path}/progress")["total"] == 0


def test_a_cell_keeps_a_bounded_number_of_outputs(server: InProcessServer, key: str):
    _, experiment, original, _ = prompt_experiment(server, key)
    path = f"/v2/experiment/{experiment}"
    row = call(server, key, "POST", f"{path}/add-manual-row", {"inputs": {"topic": "x"}})
    body = {"promptVersionId": original, "inputRecordId": row}
    for _ in range(MAX_OUTPUTS_PER_CELL):
        call(server, key, "POST", f"{path}/run-hypothesis", body)
    with server.api(key) as client:
        refused = client.post(f"{path}/run-hypothesis", json=body)
    assert refused.status_code == 400 and "outputs of this version" in refused.json()["error"]
    wait_until_idle(server, key, experiment)
    # A run queues nothing more for the full cell, however its outputs ended.
    assert call(server, key, "POST", f"{path}/run", {"promptVersionIds": [original]}) == {
        "queued": 0
    }
    requests = call(server, key, "GET", path)["rows"][0]["requests"]
    assert len(requests) == MAX_OUTPUTS_PER_CELL

"""Helicone's Ragas cookbook end to end against the in-process server: calls logged through
Heliograph with the OpenAI SDK (the fake provider answering), curated into a dataset and
exported, gold answers added and labeled, ragas-style scores (a stand-in for Ragas'
evaluate(), as docs/datasets-evals-experiments.md#ragas has it) posted with the cookbook's
score call, then read back through the evals views and checked against what was posted.
"""

from __future__ import annotations

import difflib
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openai
import pandas as pd
import pytest

from tests.api.test_evals import data, equal_width_bins
from tests.api.test_scores import OK, post
from tests.inprocess import InProcessServer

RUN = "ragas-cookbook-test"
# The cookbook's answers (its sample output), dictated to the fake provider.
ANSWERS = [
    '{ "selectedFlightId": "JL123", "cabinClass": "Business Class", "alternativeId": "NH456" }',
    '{ "tips": [ "Book accommodations in advance", "See the sakura in Ueno Park" ] }',
    '{ "dayTrip": "Take the train to Kawaguchiko and walk around the lake" }',
    '{ "restaurant": "Try sushi at Tsukiji Outer Market" }',
]
# The human labeler's corrections (the cookbook's step after add_mock_gold.py).
LABELED = {
    1: '{ "tips": [ "Book accommodations early", "See the sakura in Shinjuku Gyoen" ] }',
    3: '{ "restaurant": "Try ramen in Shinjuku" }',
}


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def token_f1(response: str, reference: str) -> float:
    """The docs' stand-in for answer_correctness (not Ragas' metric)."""
    ours, theirs = Counter(response.lower().split()), Counter(reference.lower().split())
    shared = sum((ours & theirs).values())
    if not shared:
        return 0.0
    precision, recall = shared / sum(ours.values()), shared / sum(theirs.values())
    return 2 * precision * recall / (precision + recall)


def similarity(response: str, reference: str) -> float:
    """The docs' stand-in for semantic_similarity (not Ragas' metric)."""
    return difflib.SequenceMatcher(None, response, reference).ratio()


def log_calls(server: InProcessServer, key: str) -> list[str]:
    """The application's calls, through Heliograph with the OpenAI SDK."""
    client = openai.OpenAI(
        base_url=server.url + "/openai/v1",
        api_key="sk-openai-key",
        default_headers={"Helicone-Auth": f"Bearer {key}", "Helicone-Property-Eval-Run": RUN},
        http_client=server.client(),
        max_retries=0,
    )
    ids = []
    for answer in ANSWERS:
        request_id = str(uuid.uuid4())
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"reply: {answer}"}],
            extra_headers={"Helicone-Request-Id": request_id},
        )
        assert reply.choices[0].message.content == answer
        ids.append(request_id)
    for request_id in ids:
        server.wait_for_request(request_id, key)
    return ids


def export_data_csv(server: InProcessServer, key: str, ids: list[str], path: Path) -> None:
    """The cookbook's data.csv, from a dataset of the calls exported as JSON."""
    with server.api(key) as api:
        created = api.post("/v1/helicone-dataset", json={"datasetName": RUN, "requestIds": ids})
        dataset_id = created.json()["data"]["datasetId"]
        rows = api.get(f"/v1/helicone-dataset/{dataset_id}/export", params={"format": "json"})
    exported = rows.json()
    pd.DataFrame(
        {
            "requestId": [row["origin_request_id"] for row in exported],
            "messages": [json.dumps(row["request_body"]["messages"]) for row in exported],
            "choices": [json.dumps(row["response_body"]["choices"]) for row in exported],
        }
    ).to_csv(path, index=False)


def evaluate(data_csv: Path) -> pd.DataFrame:
    """add_mock_gold.py, the labeler's corrections, then the stand-in for Ragas' evaluate()."""
    df = pd.read_csv(data_csv)
    responses = [json.loads(choices)[0]["message"]["content"] for choices in df["choices"]]
    df["gold_answer"] = responses  # add_mock_gold.py
    order = {answer: index for index, answer in enumerate(ANSWERS)}
    for position, response in enumerate(responses):
        if order[response] in LABELED:
            df.loc[position, "gold_answer"] = LABELED[order[response]]
    results = pd.DataFrame(
        {
            "user_input": df["messages"],
            "response": responses,
            "reference": df["gold_answer"],
            "answer_correctness": [
                token_f1(r, g) for r, g in zip(responses, df["gold_answer"], strict=True)
            ],
            "semantic_similarity": [
                similarity(r, g) for r, g in zip(responses, df["gold_answer"], strict=True)
            ],
            "requestId": df["requestId"],
        }
    )
    return results


def post_scores_as_the_cookbook_does(server: InProcessServer, key: str, csv: Path) -> list[Any]:
    """score_requests.py's loop and post_scores: `authorization: <key>`, no Bearer."""
    session = server.requests_session()
    answers = []
    df = pd.read_csv(csv)
    skip = {"requestId", "user_input", "response", "reference"}
    score_cols = [c for c in df.columns if c not in skip]
    for _, row in df.iterrows():
        scores = {col: float(row[col]) for col in score_cols}
        resp = session.post(
            f"{server.url}/v1/request/{row['requestId']}/score",
            json={"scores": scores},
            headers={"authorization": key, "Content-Type": "application/json"},
        )
        answers.append((resp.ok, resp.json()))
    return answers


def test_the_ragas_cookbook_end_to_end(server: InProcessServer, tmp_path: Path):
    key = server.new_organization("ragas")
    ids = log_calls(server, key)
    export_data_csv(server, key, ids, tmp_path / "data.csv")
    results = evaluate(tmp_path / "data.csv")
    results.to_csv(tmp_path / "evaluation_results.csv", index=False)
    assert sorted(results["requestId"]) == sorted(ids)
    posted = post_scores_as_the_cookbook_does(server, key, tmp_path / "evaluation_results.csv")
    assert posted == [(True, OK)] * len(ANSWERS)

    sent = {
        metric: [float(value) for value in results[metric]]
        for metric in ("answer_correctness", "semantic_similarity")
    }
    assert sent["answer_correctness"].count(1.0) == len(ANSWERS) - len(LABELED)
    assert all(0 < value < 1 for value in sent["semantic_similarity"] if value != 1.0)
    now = datetime.now(UTC)
    this_run = {"request_response_rmt": {"properties": {"Eval-Run": {"equals": RUN}}}}
    query = {
        "filter": this_run,
        "timeFilter": {"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()},
    }
    evals = data(post(server, "/v1/evals/query", query, key))
    histograms = data(post(server, "/v1/evals/score-distributions/query", query, key))
    for item in evals:  # shown, as the cookbook's reader would look at them (pytest -s)
        print(item["name"], item["count"], item["averageScore"], item["minScore"], item["maxScore"])
    for histogram in histograms:
        print(histogram["name"], [(b["lower"], b["value"]) for b in histogram["distribution"]])

    assert [item["name"] for item in evals] == list(sent)
    for item in evals:
        values = sent[item["name"]]
        assert item["count"] == len(values)
        assert sum(point["count"] for point in item["overTime"]) == len(values)
        assert item["averageScore"] == pytest.approx(sum(values) / len(values), rel=1e-12)
        assert (item["minScore"], item["maxScore"]) == (min(values), max(values))
    assert [h["name"] for h in histograms] == list(sent)
    for histogram in histograms:
        expected = equal_width_bins(sent[histogram["name"]])
        assert [b["value"] for b in histogram["distribution"]] == [b["value"] for b in expected]
        for got, want in zip(histogram["distribution"], expected, strict=True):
            assert (got["lower"], got["upper"]) == pytest.approx((want["lower"], want["upper"]))

    # Another organization's views hold none of it, even filtered to this run.
    other = server.new_organization("ragas-other")
    assert data(post(server, "/v1/evals/query", query, other)) == []
    assert data(post(server, "/v1/evals/score-distributions/query", query, other)) == []

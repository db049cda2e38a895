"""Helicone's legacy `POST /v1/feedback` (`{"helicone-id", "rating"}`), as its
predefined-request-id cookbook and older SDKs send it."""

from __future__ import annotations

import uuid
from typing import Any

import openai
import pytest

from tests.api.test_scores import FEEDBACK, logged_call, post, stored
from tests.inprocess import InProcessServer


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def answer(request_id: str) -> dict[str, Any]:
    body = {"message": "Feedback added successfully.", "helicone_id": request_id}
    return {"data": body, "error": None}


def test_predefined_request_id_cookbook(server: InProcessServer):
    # The cookbook, verbatim but for the base URLs and the key.
    client = openai.OpenAI(
        api_key="sk-any",
        base_url=server.url + "/openai/v1",
        http_client=server.client(),
        default_headers={"Helicone-Auth": f"Bearer {server.api_key}"},
    )
    my_helicone_request_id = str(uuid.uuid4())
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Say this is a test"}],
        extra_headers={"Helicone-Request-Id": my_helicone_request_id},
    )
    url = server.url + "/v1/feedback"
    headers = {"Helicone-Auth": f"Bearer {server.api_key}", "Content-Type": "application/json"}
    data = {"helicone-id": my_helicone_request_id, "rating": True}
    response = server.requests_session().post(url, headers=headers, json=data)
    assert response.status_code == 200
    assert response.json() == answer(my_helicone_request_id)
    row = stored(server, my_helicone_request_id)
    assert row["feedback_rating"] is True and row["scores"] == {FEEDBACK: 1}


def test_writes_what_the_request_feedback_route_writes(server: InProcessServer):
    legacy, current = logged_call(server), logged_call(server)
    assert post(server, "/v1/feedback", {"helicone-id": legacy, "rating": False}).json() == (
        answer(legacy)
    )
    assert post(server, f"/v1/request/{current}/feedback", {"rating": False}).status_code == 200
    a, b = stored(server, legacy), stored(server, current)
    for field in ("scores", "feedback_rating", "properties"):
        assert a[field] == b[field]
    assert a["feedback_rating"] is False
    # A later rating replaces the earlier one.
    assert post(server, "/v1/feedback", {"helicone-id": legacy, "rating": True}).status_code == 200
    assert stored(server, legacy)["feedback_rating"] is True


def test_older_sdks_is_thumbs_up_and_upper_case_ids(server: InProcessServer):
    request_id = logged_call(server)
    body = {"helicone-id": request_id.upper(), "is-thumbs-up": False}
    response = post(server, "/v1/feedback", body)
    assert response.status_code == 200
    assert stored(server, request_id)["feedback_rating"] is False


def test_unknown_and_foreign_requests_are_404(server: InProcessServer):
    unknown = post(server, "/v1/feedback", {"helicone-id": str(uuid.uuid4()), "rating": True})
    assert unknown.status_code == 404 and "Request not found" in unknown.json()["error"]
    request_id = logged_call(server)
    intruder = server.create_key(f"intruder-{uuid.uuid4()}")
    body = {"helicone-id": request_id, "rating": False}
    foreign = post(server, "/v1/feedback", body, key=intruder)
    assert foreign.status_code == 404 and foreign.json()["data"] is None
    assert stored(server, request_id)["feedback_rating"] is None, "owner's row unchanged"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"rating": True}, "helicone-id"),
        ({"helicone-id": 5, "rating": True}, "helicone-id"),
        ({"helicone-id": "req_123abc", "rating": True}, "valid UUID"),
        ({"helicone-id": "00000000-0000-4000-8000-000000000000"}, "rating is required"),
        ({"helicone-id": "00000000-0000-4000-8000-000000000000", "rating": "yes"}, "rating"),
        ([1], "JSON object"),
    ],
)
def test_bad_bodies_are_400(server: InProcessServer, body: Any, named: str):
    response = post(server, "/v1/feedback", body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None and named in response.json()["error"]


def test_needs_a_key(server: InProcessServer):
    with server.client() as client:
        response = client.post("/v1/feedback", json={"helicone-id": str(uuid.uuid4())})
    assert response.status_code == 401

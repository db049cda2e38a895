"""Jawn's custom trace routes: `/v1/trace/custom/log`, `/v1/trace/custom/v1/log` and the
typed `/v1/trace/custom/log/typed`, with the manual-logger pages' body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.async_log_helpers import example, logged_row, new_id, post_log, summary
from tests.inprocess import InProcessServer

UNTYPED_PATHS = ("/v1/trace/custom/log", "/v1/trace/custom/v1/log")
TYPED_PATH = "/v1/trace/custom/log/typed"


@pytest.fixture(scope="module")
def server(app_server: InProcessServer) -> InProcessServer:
    return app_server


def _logged(server: InProcessServer, body: Any, path: str, key: str | None = None) -> Any:
    """Post a log that must be taken: Jawn's empty 200, and the row it became."""
    request_id = new_id()
    response = post_log(server, body, path, key, {"Helicone-Request-Id": request_id})
    assert (response.status_code, response.content) == (200, b""), response.text
    assert response.headers["helicone-id"] == request_id
    return server.wait_for_request(request_id, key)


@pytest.mark.parametrize("path", [*UNTYPED_PATHS, TYPED_PATH])
def test_the_basic_example_is_logged_as_openai_when_it_names_no_provider(
    server: InProcessServer, path: str
):
    body = example()
    body["providerRequest"]["meta"] = {"Helicone-Property-Route": path, "Helicone-User-Id": "u1"}
    row = _logged(server, body, path)
    assert summary(row) == {
        "model": "my-custom-model",
        "provider": "OPENAI",  # Jawn's `asyncLog.provider ?? "OPENAI"`; /custom/v1/log: CUSTOM
        "response_status": 200,
        "delay_ms": 1333,
        "time_to_first_token": None,
        "prompt_tokens": 10,
        "completion_tokens": 8,
        "cost": 0,
        "request_user_id": "u1",
        "request_properties": {"Route": path},
        "request_path": "custom-model-nopath",
    }
    assert row["request_body"] == body["providerRequest"]["json"]
    assert row["response_body"] == body["providerResponse"]["json"]


@pytest.mark.parametrize("path", [*UNTYPED_PATHS, TYPED_PATH, "/custom/v1/log"])
def test_a_named_provider_and_text_times_are_read(server: InProcessServer, path: str):
    body = example()
    body["provider"] = "anthropic"
    body["timing"] = {
        "startTime": "2024-05-01T10:00:00.250Z",  # Jawn's getTime: an ISO date...
        "endTime": "1714557601",  # ...or Unix seconds
        "timeToFirstToken": 120,
    }
    if path == "/custom/v1/log":  # the worker's path answers its envelope
        row = logged_row(server, body, path)
    else:
        row = _logged(server, body, path)
    assert (row["provider"], row["delay_ms"], row["time_to_first_token"]) == ("ANTHROPIC", 750, 120)
    assert row["request_created_at"] == "2024-05-01 10:00:00.250"


def test_the_typed_route_answers_every_problem_in_helicones_validation_shape(
    server: InProcessServer,
):
    body: dict[str, Any] = {
        "providerRequest": {"url": "", "json": "text", "meta": None},
        "providerResponse": {"status": "200", "headers": []},
        "timing": {"startTime": {"seconds": 1, "milliseconds": 0}, "timeToFirstToken": "1"},
    }
    response = post_log(server, body, TYPED_PATH)
    assert response.status_code == 400
    assert response.json() == {
        "isValid": False,
        "errors": [
            {"field": "providerRequest.url", "message": "url must be a non-empty string"},
            {"field": "providerRequest.json", "message": "json must be an object"},
            {"field": "providerRequest.meta", "message": "meta must be an object"},
            {"field": "providerResponse.status", "message": "status must be a number"},
            {"field": "providerResponse", "message": "either json or textBody is required"},
            {"field": "providerResponse.headers", "message": "headers must be an object"},
            {
                "field": "timing.endTime",
                "message": "endTime is required when timing is provided",
            },
            {"field": "timing.timeToFirstToken", "message": "timeToFirstToken must be a number"},
        ],
    }
    missing = post_log(server, {}, TYPED_PATH).json()["errors"]
    assert [problem["field"] for problem in missing] == ["providerRequest", "providerResponse"]


def test_the_typed_route_names_the_field_the_async_log_refuses(server: InProcessServer):
    body = example()
    body["timing"]["endTime"] = "yesterday"  # past Helicone's checks, not a time
    response = post_log(server, body, TYPED_PATH)
    assert response.status_code == 400
    assert response.json()["isValid"] is False
    [problem] = response.json()["errors"]
    assert problem["field"] == "timing.endTime"
    assert "ISO 8601" in problem["message"]


@pytest.mark.parametrize("path", UNTYPED_PATHS)
def test_bad_untyped_bodies_are_400_envelopes_naming_the_field(server: InProcessServer, path: str):
    body = example()
    del body["providerResponse"]["status"]
    response = post_log(server, body, path)
    assert response.status_code == 400
    assert response.json()["data"] is None
    assert "'providerResponse.status'" in response.json()["error"]


@pytest.mark.parametrize("path", [*UNTYPED_PATHS, TYPED_PATH])
def test_keys_are_required_and_rows_stay_in_the_keys_organization(
    server: InProcessServer, path: str
):
    assert server.request("POST", path, json=example()).status_code == 401
    other = server.create_key("trace-custom-tenant")
    row = _logged(server, example(), path, key=other)
    with server.api() as client:  # the bootstrap key's organization does not see it
        assert client.get(f"/v1/request/{row['request_id']}").status_code == 404


def test_bodies_past_the_async_log_limit_are_413(server: InProcessServer):
    body = example()
    body["providerRequest"]["json"]["messages"][0]["content"] = "x" * (11 * 1024 * 1024)
    for path in [*UNTYPED_PATHS, TYPED_PATH]:
        assert post_log(server, body, path).status_code == 413


def test_the_typed_route_logs_its_typed_fields_only(server: InProcessServer):
    """Jawn rebuilds the body from the typed fields: a given cost is not among them."""
    body = example()
    body["providerRequest"]["json"]["model"] = "gpt-4o-mini"
    body["providerResponse"]["cost"] = 12.5
    typed = _logged(server, body, TYPED_PATH)
    untyped = _logged(server, body, UNTYPED_PATHS[0])
    assert untyped["cost"] == 12.5
    assert 0 < typed["cost"] < 1, "priced from the tokens, as a log without a cost"

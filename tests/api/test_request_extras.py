"""What Helicone reads of one logged request besides its row: its assets (the images in its
bodies), its prompt inputs, and the row's Helicone fields (`costUSD`, `assets`, ...)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from heliograph.store.request_assets import asset_id
from tests.api.async_log_helpers import example, logged_row, post_log
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import Gateway, assembly_app
from tests.prompts.helpers import create_prompt, new_org

PNG = (  # one pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
REMOTE = "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"
# Helicone's vision examples: an OpenAI image_url part by URL and inline, an Anthropic block.
VISION_MESSAGES = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in these images?"},
            {"type": "image_url", "image_url": {"url": REMOTE}},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": PNG},
            },
        ],
    }
]


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from assembly_app(fake_provider, tmp_path_factory, "request-extras")


def _vision_row(server: InProcessServer, key: str | None = None) -> dict[str, Any]:
    body = example()
    body["providerRequest"]["json"] = {"model": "gpt-4o-mini", "messages": VISION_MESSAGES}
    return logged_row(server, body, "/oai/v1/log", key=key)


def test_a_requests_images_are_its_assets_with_their_urls(server: InProcessServer):
    row = _vision_row(server)
    request_id = row["request_id"]
    ids = [asset_id(request_id, index) for index in range(3)]
    with server.api() as client:
        answer = client.get(f"/v1/request/{request_id}").json()["data"]
        with_body = client.get(f"/v1/request/{request_id}?includeBody=true").json()["data"]
        page = client.post(
            "/v1/request/query-clickhouse",
            json={"filter": {"request_response_rmt": {"request_id": {"equals": request_id}}}},
        ).json()["data"]
    assert answer["asset_ids"] == answer["assets"] == ids
    assert answer["asset_urls"] == {
        ids[0]: REMOTE,
        ids[1]: f"data:image/png;base64,{PNG}",
        ids[2]: f"data:image/png;base64,{PNG}",
    }
    assert answer["request_body"]["messages"] == VISION_MESSAGES, "bodies are kept whole"
    assert with_body == answer, "bodies are in every answer: Heliograph keeps them in the store"
    [listed] = page
    assert (listed["asset_ids"], listed["asset_urls"]) == (ids, {}), "URLs for one read by id"


def test_the_helicone_fields_of_a_row(server: InProcessServer):
    body = example()
    body["providerRequest"]["json"]["model"] = "gpt-4o-mini"
    row = logged_row(server, body, "/oai/v1/log")
    assert row["cost"] > 0
    assert row["costUSD"] == row["cost"]
    assert (row["assets"], row["asset_ids"], row["asset_urls"]) == ([], [], {})
    assert (row["llmSchema"], row["model_override"], row["helicone_user"]) == (None, None, None)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_an_asset_answers_its_url(server: InProcessServer, method: str):
    request_id = _vision_row(server)["request_id"]
    with server.api() as client:
        first = client.request(method, f"/v1/request/{request_id}/assets/{asset_id(request_id, 0)}")
        inline = client.request(
            method, f"/v1/request/{request_id}/assets/{asset_id(request_id, 2)}"
        )
        unknown = client.request(method, f"/v1/request/{request_id}/assets/{uuid.uuid4()}")
        malformed = client.request(method, f"/v1/request/{request_id}/assets/not-an-id")
        no_request = client.request(method, f"/v1/request/{uuid.uuid4()}/assets/{uuid.uuid4()}")
    assert first.json() == {"data": {"assetUrl": REMOTE}, "error": None}
    assert inline.json() == {"data": {"assetUrl": f"data:image/png;base64,{PNG}"}, "error": None}
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"data": None, "error": "Asset not found"},
    )
    assert malformed.status_code == 404
    assert (no_request.status_code, no_request.json()["error"]) == (404, "Request not found")


def test_another_organizations_assets_are_not_found(server: InProcessServer):
    other = server.create_key("request-extras-tenant")
    request_id = _vision_row(server, key=other)["request_id"]
    path = f"/v1/request/{request_id}/assets/{asset_id(request_id, 0)}"
    with server.api(other) as client:
        assert client.post(path).status_code == 200
    with server.api() as client:
        assert client.post(path).status_code == 404
        assert client.get(f"/v1/request/{request_id}/inputs").json() == {
            "data": None,
            "error": None,
        }


def _inputs(server: InProcessServer, key: str | None, request_id: str, wait_s: float = 10) -> Any:
    """`data` of GET .../inputs once it is there (the row, or the legacy record, lands
    off the request path), or None after `wait_s`."""
    deadline = time.monotonic() + wait_s
    with server.api(key) as client:
        while True:
            answer = client.get(f"/v1/request/{request_id}/inputs")
            assert answer.status_code == 200 and answer.json()["error"] is None, answer.text
            if answer.json()["data"] is not None or time.monotonic() > deadline:
                return answer.json()["data"]
            time.sleep(0.05)


def test_the_inputs_of_a_call_assembled_from_a_saved_prompt(
    server: InProcessServer, fake_provider: FakeProvider
):
    key = new_org(server, "request-inputs")
    gateway = Gateway(server, fake_provider, key)
    saved = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Help {{hc:customer_name:string}}."}],
    }
    prompt_id, version_id = create_prompt(server, key, body=saved)
    runtime = {"prompt_id": prompt_id, "inputs": {"customer_name": "Sarah"}}
    answer, request_id, _ = gateway.chat(runtime)
    assert answer.status_code == 200, answer.text
    assert _inputs(server, key, request_id) == {
        "inputs": {"customer_name": "Sarah"},
        "prompt_id": prompt_id,
        "version_id": version_id,
        "environment": None,
    }
    assert _inputs(server, None, request_id, wait_s=0) is None, "not the bootstrap key's"


def test_the_inputs_of_a_legacy_prompts_call(server: InProcessServer):
    body = example()
    body["providerRequest"]["json"] = {
        "model": "gpt-4o-mini",
        "messages": [
            {
                "role": "user",
                "content": "Write about "
                '<helicone-prompt-input key="animal">a fox</helicone-prompt-input>',
            }
        ],
    }
    body["providerRequest"]["meta"] = {"Helicone-Prompt-Id": "request-inputs-story"}
    answer = post_log(server, body, "/oai/v1/log")
    assert answer.status_code == 200, answer.text
    request_id = answer.json()["data"]["request_id"]
    found = _inputs(server, None, request_id)
    assert found is not None
    other = server.create_key("request-inputs-tenant")
    assert _inputs(server, other, request_id, wait_s=0) is None, "not the other key's"
    assert (found["inputs"], found["prompt_id"], found["environment"]) == (
        {"animal": "a fox"},
        "request-inputs-story",
        None,
    )
    leaf = {"prompt_v2": {"user_defined_id": {"equals": "request-inputs-story"}}}
    with server.api() as client:
        [prompt] = client.post("/v1/prompt/query", json={"filter": leaf}).json()["data"]
        versions = client.post(f"/v1/prompt/{prompt['id']}/versions/query", json={"filter": "all"})
    assert [version["id"] for version in versions.json()["data"]] == [found["version_id"]]


def test_a_request_without_inputs_answers_null(server: InProcessServer):
    request_id = logged_row(server, example())["request_id"]
    with server.api() as client:
        for path in (request_id, str(uuid.uuid4()), "not-a-request-id"):
            answer = client.get(f"/v1/request/{path}/inputs")
            assert (answer.status_code, answer.json()) == (200, {"data": None, "error": None})

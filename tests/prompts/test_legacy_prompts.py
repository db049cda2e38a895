"""Helicone's legacy prompts on the in-process app: a call carrying Helicone-Prompt-Id goes
upstream without its tags (as Helicone's worker sends it) and records its prompt's template
and inputs; a changed template is the next version, the same one is not; the /v1/prompt
endpoints answer Helicone's shapes, each organization only its own; compile fills the newest
version in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from heliograph.mock_provider import FakeProvider
from tests.api.async_log_helpers import example
from tests.inprocess import InProcessServer
from tests.prompts.gateway_helpers import assembly_app
from tests.prompts.helpers import new_org
from tests.prompts.legacy_helpers import LegacyClient

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SYSTEM = {"role": "system", "content": "You are a storyteller."}
# Helicone's prompts page example: a story generator with two inputs.
STORY = (
    'Write a story about <helicone-prompt-input key="character">{}</helicone-prompt-input> '
    'set in <helicone-prompt-input key="location">{}</helicone-prompt-input>'
)
STORY_TEMPLATE = (
    'Write a story about <helicone-prompt-input key="character" /> '
    'set in <helicone-prompt-input key="location" />'
)


def story(character: str, location: str, text: str = STORY) -> dict[str, Any]:
    user = {"role": "user", "content": text.format(character, location)}
    return {"model": "gpt-4o-mini", "messages": [SYSTEM, user]}


def encoded(body: Any) -> bytes:
    return orjson.dumps(body)


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from assembly_app(fake_provider, tmp_path_factory, "legacy-prompts")


@pytest.fixture
def legacy(server: InProcessServer, fake_provider: FakeProvider) -> LegacyClient:
    return LegacyClient(server, fake_provider, new_org(server, "legacy"))


def test_a_proxied_call_goes_upstream_without_tags_and_records_its_prompt(legacy: LegacyClient):
    answer, request_id, upstream = legacy.proxied(encoded(story("a dragon", "Paris")), "story")
    assert answer.status_code == 200, answer.text
    sent = {
        "model": "gpt-4o-mini",
        "messages": [
            SYSTEM,
            {"role": "user", "content": "Write a story about a dragon set in Paris"},
        ],
    }
    assert [call.json() for call in upstream] == [sent]
    assert b"helicone-prompt" not in upstream[0].body
    row = legacy.server.wait_for_request(request_id, key=legacy.key)
    assert row["request_body"] == sent, "what is stored is what went upstream"
    assert row["prompt_id"] == "story"

    prompt, version, record = legacy.recorded("story", request_id)
    assert ISO.match(prompt["created_at"]) and ISO.match(version["created_at"])
    assert prompt == {
        "id": prompt["id"],
        "user_defined_id": "story",
        "description": None,
        "pretty_name": None,
        "created_at": prompt["created_at"],
        "major_version": 0,
    }
    template = {
        "model": "gpt-4o-mini",
        "messages": [
            "<helicone-auto-prompt-input idx=0 />",
            {"role": "user", "content": STORY_TEMPLATE},
        ],
    }
    assert version == {
        "id": version["id"],
        "minor_version": 0,
        "major_version": 0,
        "prompt_v2": prompt["id"],
        "model": "gpt-4o-mini",
        "helicone_template": template,
        "created_at": version["created_at"],
        "metadata": {"isProduction": True},
    }
    assert record == {
        "id": record["id"],
        "inputs": {"character": "a dragon", "location": "Paris"},
        "source_request": request_id,
        "prompt_version": version["id"],
        "created_at": record["created_at"],
        "auto_prompt_inputs": [SYSTEM],
    }
    assert legacy.data("GET", f"/v1/prompt/version/{version['id']}") == version
    window = {"timeFilter": {"start": "2024-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z"}}
    assert legacy.data("POST", f"/v1/prompt/{prompt['id']}/query", window) == prompt | {
        "latest_version_id": version["id"],
        "latest_model_used": "gpt-4o-mini",
        "last_used": record["created_at"],
        "versions": [version["id"]],
    }


def test_a_changed_template_is_the_next_version_and_the_same_template_is_not(
    legacy: LegacyClient,
):
    first = legacy.proxied(encoded(story("a dragon", "Paris")), "versions")[1]
    other_story = story("a robot", "Lisbon")
    other_story["messages"][0] = {"role": "system", "content": "Be brief."}  # an auto input
    same = legacy.unified(encoded(other_story), "versions")
    assert same[0].status_code == 200, same[0].text
    assert (
        same[2][0].json()["messages"][1]["content"] == "Write a story about a robot set in Lisbon"
    )
    changed = legacy.proxied(encoded(story("a cat", "Rome", STORY + ", in verse")), "versions")[1]
    _, v0, _ = legacy.recorded("versions", first)
    _, v0_again, record = legacy.recorded("versions", same[1])
    _, v1, _ = legacy.recorded("versions", changed)
    assert v0_again["id"] == v0["id"] and record["auto_prompt_inputs"] == [
        {"role": "system", "content": "Be brief."}
    ]
    assert (v1["major_version"], v1["minor_version"]) == (1, 0)
    assert v1["helicone_template"]["messages"][1]["content"] == STORY_TEMPLATE + ", in verse"
    # Back to the first template: compared with the newest only, as Helicone does.
    back = legacy.proxied(encoded(story("an owl", "Oslo")), "versions")[1]
    prompt, v2, _ = legacy.recorded("versions", back)
    versions = legacy.versions(prompt["id"])
    assert [v["major_version"] for v in versions] == [2, 1, 0]
    assert [v["metadata"] for v in versions] == [{"isProduction": True}, {}, {}]
    assert v2["helicone_template"] == v0["helicone_template"]
    assert [r["source_request"] for r in legacy.inputs(v0["id"])] == [same[1], first]
    assert prompt["major_version"] == 2


def test_an_async_log_records_its_prompt_and_keeps_its_body(legacy: LegacyClient):
    body = example()
    body["providerRequest"]["json"] = story("a fox", "Kyoto")
    body["providerRequest"]["meta"] = {"Helicone-Prompt-Id": "logged"}
    with legacy.server.api(legacy.key) as client:
        answer = client.post("/oai/v1/log", json=body)
    assert answer.status_code == 200, answer.text
    request_id = answer.json()["data"]["request_id"]
    _, version, record = legacy.recorded("logged", request_id)
    assert record["inputs"] == {"character": "a fox", "location": "Kyoto"}
    assert version["helicone_template"]["messages"][1]["content"] == STORY_TEMPLATE
    row = legacy.server.wait_for_request(request_id, key=legacy.key)
    assert row["request_body"] == story("a fox", "Kyoto"), "nothing went upstream: kept as sent"


def test_compile_fills_the_newest_version_as_the_generate_page_calls_it(legacy: LegacyClient):
    legacy.proxied(encoded(story("a dragon", "Paris")), "compiled")
    last = legacy.proxied(encoded(story("a dragon", "Paris", STORY + "!")), "compiled")[1]
    legacy.recorded("compiled", last)
    body = {"filter": "all", "includeExperimentVersions": False, "inputs": {"character": "a bee"}}
    compiled = legacy.data("POST", "/v1/prompt/compiled/compile", body)
    assert (compiled["major_version"], compiled["minor_version"], compiled["model"]) == (
        1,
        0,
        "gpt-4o-mini",
    )
    assert compiled["prompt_compiled"] == {
        "model": "gpt-4o-mini",
        "messages": [SYSTEM, {"role": "user", "content": "Write a story about a bee set in !"}],
    }, "a missing input is '' (as Helicone); the untagged message comes from the last call"
    older = {**body, "filter": {"prompts_versions": {"major_version": {"equals": 0}}}}
    assert legacy.data("POST", "/v1/prompt/compiled/compile", older)["major_version"] == 0
    none = {**body, "filter": {"prompts_versions": {"major_version": {"gt": 5}}}}
    assert legacy.api("POST", "/v1/prompt/compiled/compile", none).status_code == 404
    unknown = legacy.api("POST", "/v1/prompt/no-such-prompt/compile", body)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"data": None, "error": "Prompt not found"},
    )


def test_each_organization_sees_only_its_own_prompts(
    server: InProcessServer, fake_provider: FakeProvider
):
    mine = LegacyClient(server, fake_provider, new_org(server, "legacy-mine"))
    theirs = LegacyClient(server, fake_provider, new_org(server, "legacy-theirs"))
    my_call = mine.proxied(encoded(story("a dragon", "Paris")), "shared")[1]
    their_call = theirs.proxied(encoded(story("a whale", "Oslo", STORY + ".")), "shared")[1]
    my_prompt, my_version, _ = mine.recorded("shared", my_call)
    their_prompt, their_version, _ = theirs.recorded("shared", their_call)
    assert my_prompt["id"] != their_prompt["id"]
    assert [p["id"] for p in theirs.data("POST", "/v1/prompt/query", {"filter": "all"})] == [
        their_prompt["id"]
    ]
    for method, path, body in (
        ("POST", f"/v1/prompt/{my_prompt['id']}/query", None),
        ("POST", f"/v1/prompt/{my_prompt['id']}/versions/query", {}),
        ("GET", f"/v1/prompt/version/{my_version['id']}", None),
        ("POST", f"/v1/prompt/version/{my_version['id']}/inputs/query", {"limit": 10}),
    ):
        answer = theirs.api(method, path, body)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["data"] is None
    compiled = theirs.data("POST", "/v1/prompt/shared/compile", {"inputs": {}})
    assert compiled["id"] == their_version["id"]


def test_filters_select_prompts_and_versions(legacy: LegacyClient):
    ids = {}
    for name in ("alpha-one", "alpha-two", "beta"):
        ids[name] = legacy.recorded(name, legacy.proxied(encoded(story("x", "y")), name)[1])[0][
            "id"
        ]
    leaf = {"prompt_v2": {"user_defined_id": {"contains": "ALPHA"}}}
    found = legacy.data("POST", "/v1/prompt/query", {"filter": leaf})
    assert [p["user_defined_id"] for p in found] == ["alpha-two", "alpha-one"], "newest first"
    either = {
        "left": {"prompt_v2": {"user_defined_id": {"equals": "beta"}}},
        "operator": "or",
        "right": {"prompt_v2": {"id": {"equals": ids["alpha-one"]}}},
    }
    found = legacy.data("POST", "/v1/prompt/query", {"filter": either})
    assert sorted(p["user_defined_id"] for p in found) == ["alpha-one", "beta"]
    assert legacy.versions(ids["beta"], {"prompts_versions": {"major_version": {"gte": 1}}}) == []
    assert len(legacy.versions(ids["beta"], {})) == 1
    for bad in (
        {"prompts_versions": {"id": {"equals": "x"}}},  # a versions leaf on prompts
        {"prompt_v2": {"colour": {"equals": "x"}}},
        {"prompt_v2": {"id": {"gt": "x"}}},
        42,
    ):
        answer = legacy.api("POST", "/v1/prompt/query", {"filter": bad})
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["data"] is None and answer.json()["error"]


def test_inputs_are_listed_newest_first_within_limits(legacy: LegacyClient):
    request_ids = [
        legacy.proxied(encoded(story(f"hero {i}", "Paris")), "listed")[1] for i in range(3)
    ]
    _, version, _ = legacy.recorded("listed", request_ids[-1])
    path = f"/v1/prompt/version/{version['id']}/inputs/query"
    newest = legacy.data("POST", path, {"limit": 2})
    assert [r["source_request"] for r in newest] == request_ids[:0:-1]
    drawn = legacy.data("POST", path, {"limit": 2, "random": True})
    assert len(drawn) == 2 and {r["source_request"] for r in drawn} <= set(request_ids)
    for limit in (0, 1001):
        assert legacy.api("POST", path, {"limit": limit}).status_code == 400


def test_prompt_mode_deactivated_sends_the_tags_upstream(legacy: LegacyClient):
    content = encoded(story("a dragon", "Paris"))
    answer, request_id, upstream = legacy.proxied(
        content, "deactivated", {"Helicone-Prompt-Mode": "deactivated"}
    )
    assert answer.status_code == 200 and upstream[0].body == content
    assert legacy.recorded("deactivated", request_id)[2]["inputs"]["character"] == "a dragon"


OVERSIZED = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "%s"}]}' % (
    b'<helicone-prompt-input key=\\"a\\">b</helicone-prompt-input>' + b"x" * (4 * 1024 * 1024)
)


@pytest.mark.parametrize(
    ("content", "prompt_id", "sent", "recorded"),
    [
        (encoded(story("a", "b", '<helicone-prompt-input key="a">{} {}')), "open", None, True),
        (OVERSIZED, "oversized", None, False),
        (
            encoded(story("a", "b")),
            "p" * 256,
            encoded(story("a", "b", "Write a story about {} set in {}")),
            False,
        ),
        (b'{"model": "gpt-4o-mini", "messages": [', "broken", None, False),
    ],
    ids=["unclosed-tag", "oversized", "long-prompt-id", "not-json"],
)
def test_bad_input_never_breaks_the_call(
    legacy: LegacyClient, content: bytes, prompt_id: str, sent: bytes | None, recorded: bool
):
    """`sent`: what goes upstream (None: the body as it came)."""
    answer, _, upstream = legacy.proxied(content, prompt_id)
    assert answer.status_code < 500, answer.text
    assert [call.body for call in upstream] == [content if sent is None else sent]
    # The writer keeps the order calls came in: once a later call is recorded, so is this one.
    later = f"later-{uuid.uuid4().hex[:6]}"
    legacy.recorded(later, legacy.proxied(encoded(story("x", "y")), later)[1])
    assert (legacy.prompt_named(prompt_id) is not None) == recorded

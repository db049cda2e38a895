"""Helicone's legacy prompt tags read from a body, as its `parseJSXObject` reads them (its
own test's example), the body sent upstream without them, and a template filled back in
(`autoFillInputs`); bad bodies, bounds, and scans that stay linear."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from heliograph.prompts.legacy.bodies import MAX_SCANNED_BYTES, upstream_body
from heliograph.prompts.legacy.fill import fill
from heliograph.prompts.legacy.tags import MAX_TAGS, scan
from heliograph.prompts.rules import BodyTooLarge

IMAGE = {
    "role": "user",
    "content": [{"type": "image_url", "image_url": {"url": "...", "detail": "high"}}],
}
# Helicone's packages/prompts test "parse object", as written.
HELICONE_BODY: dict[str, Any] = {
    "model": "gpt-4-turbo",
    "messages": [
        {
            "role": "system",
            "content": 'Test <helicone-prompt-input key="test-1">input 1</helicone-prompt-input>',
        },
        IMAGE,
        {
            "role": "assistance",
            "content": "Using the content above and given that "
            '<helicone-prompt-input key="test-2">input 2</helicone-prompt-input>, '
            "what are the images?",
        },
    ],
    "max_tokens": 700,
}


def test_helicone_example_gives_its_inputs_template_and_upstream_body():
    found = scan(HELICONE_BODY)
    assert found is not None
    assert found.inputs == {"test-1": "input 1", "test-2": "input 2"}
    assert found.upstream == {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": "Test input 1"},
            IMAGE,
            {
                "role": "assistance",
                "content": "Using the content above and given that input 2, what are the images?",
            },
        ],
        "max_tokens": 700,
    }
    assert found.template == {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": 'Test <helicone-prompt-input key="test-1" />'},
            "<helicone-auto-prompt-input idx=0 />",
            {
                "role": "assistance",
                "content": "Using the content above and given that "
                '<helicone-prompt-input key="test-2" />, what are the images?',
            },
        ],
        "max_tokens": 700,
    }
    assert found.auto_inputs == [IMAGE]
    assert found.tags == 2


def test_hpf_output_is_read_and_values_are_trimmed_only_in_the_inputs():
    # @helicone/prompts' hpf writes `key="..." >` with a space; the value keeps its spaces upstream.
    content = 'Write about <helicone-prompt-input key="topic" > the moon </helicone-prompt-input>.'
    found = scan({"messages": [{"role": "user", "content": content}]})
    assert found is not None
    assert found.inputs == {"topic": "the moon"}
    assert found.upstream["messages"][0]["content"] == "Write about  the moon ."
    assert found.template["messages"][0]["content"] == (
        'Write about <helicone-prompt-input key="topic" />.'
    )


def test_static_tags_leave_the_upstream_body_and_stay_in_the_template():
    content = "<helicone-prompt-static>You are terse.</helicone-prompt-static>"
    found = scan({"system": content, "messages": [{"role": "user", "content": "hi"}]})
    assert found is not None
    assert found.upstream["system"] == "You are terse."
    assert found.template["system"] == content
    assert found.template["messages"] == ["<helicone-auto-prompt-input idx=0 />"]
    assert found.inputs == {} and found.tags == 2


@pytest.mark.parametrize(
    "content",
    [
        '<helicone-prompt-input key="a">never closed',
        '<helicone-prompt-input key="">empty key</helicone-prompt-input>',
        '<helicone-prompt-input key="' + "k" * 257 + '">long key</helicone-prompt-input>',
        "<helicone-prompt-input>no key</helicone-prompt-input>",
        '<helicone-prompt-input key="a"',
    ],
)
def test_a_malformed_tag_is_plain_text(content: str):
    body = {"messages": [{"role": "user", "content": content}]}
    found = scan(body)
    assert found is not None
    assert found.inputs == {} and found.upstream == body
    assert found.template == body, "a message naming a tag is not an auto input"
    assert upstream_body(orjson.dumps(body)) is None, "nothing to take out: sent as it came"


def test_more_than_max_tags_leaves_the_body_alone():
    tag = '<helicone-prompt-input key="k">v</helicone-prompt-input>'
    body = {"messages": [{"role": "user", "content": tag * (MAX_TAGS + 1)}]}
    assert scan(body) is None
    assert upstream_body(orjson.dumps(body)) is None
    assert scan({"messages": [{"role": "user", "content": tag * MAX_TAGS}]}) is not None


@pytest.mark.parametrize(
    "body",
    [
        b"not json <helicone-prompt-input",
        b'["<helicone-prompt-input key=\\"a\\">b</helicone-prompt-input>"]',
        b'{"a": "<helicone-prompt-input key=\\"a\\">b</helicone-prompt-input>", "x": "\\ud800"}',
        b'{"messages": "'
        + b"x" * MAX_SCANNED_BYTES
        + b'<helicone-prompt-input key=\\"a\\">b</helicone-prompt-input>"}',
    ],
    ids=["not-json", "not-an-object", "lone-surrogate", "too-large"],
)
def test_a_body_that_cannot_be_read_goes_upstream_as_it_came(body: bytes):
    assert upstream_body(body) is None


def test_upstream_body_is_the_body_without_tags():
    sent = upstream_body(orjson.dumps(HELICONE_BODY))
    assert sent is not None
    assert orjson.loads(sent) == scan(HELICONE_BODY).upstream  # type: ignore[union-attr]
    big = 2**70  # JSON allows integers past 64 bits
    body = b'{"n": %d, "s": "<helicone-prompt-input key=\\"a\\">b</helicone-prompt-input>"}' % big
    assert upstream_body(body) == b'{"n":%d,"s":"b"}' % big


def test_deep_nesting_is_copied_not_read():
    deep: Any = '<helicone-prompt-input key="a">b</helicone-prompt-input>'
    for _ in range(900):
        deep = [deep]
    found = scan({"messages": deep})
    assert found is not None and found.inputs == {}, "past MAX_DEPTH values are copied"


@pytest.mark.parametrize(
    "text",
    [
        '<helicone-prompt-input key="a">' * 60_000,  # opening tags, none closed
        '<helicone-prompt-input key="' * 40_000,  # keys never ending
        "<helicone-prompt-input" + " " * 1_000_000,
    ],
    ids=["unclosed", "unterminated-keys", "spaces"],
)
def test_scans_stay_linear_on_pathological_text(text: str):
    body = orjson.dumps({"messages": [{"role": "user", "content": text}], "model": "m"})
    started = time.process_time()
    upstream_body(body)
    assert time.process_time() - started < 2.0, "a quadratic scan takes minutes here"


def test_fill_puts_inputs_and_auto_inputs_back():
    found = scan(HELICONE_BODY)
    assert found is not None
    assert fill(found.template, found.inputs, found.auto_inputs) == found.upstream
    other = fill(found.template, {"test-1": "one"}, [])
    assert other["messages"] == [
        {"role": "system", "content": "Test one"},
        {
            "role": "assistance",
            "content": "Using the content above and given that , what are the images?",
        },
    ], "a missing input is '' and a missing auto input leaves its array (as Helicone's)"


def test_fill_is_bounded():
    template = {
        "messages": [{"role": "user", "content": '<helicone-prompt-input key="a" />' * 100}]
    }
    with pytest.raises(BodyTooLarge):
        fill(template, {"a": "x" * 1000}, [], limit=99_999)
    assert (
        len(fill(template, {"a": "x" * 1000}, [], limit=100_000)["messages"][0]["content"])
        == 100_000
    )

"""The images of a request's bodies, in every shape Helicone cuts out as assets."""

from __future__ import annotations

import uuid

from heliograph.store.request_assets import MAX_ASSETS, asset_id, request_assets

REQUEST_ID = str(uuid.uuid4())


def test_every_shape_in_body_order_request_first():
    request = {
        "model": "gpt-4.1",
        "input": [  # the Responses API
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Describe"},
                    {"type": "input_image", "image_url": "https://example.com/a.png"},
                ],
            }
        ],
        "messages": [
            {"role": "system", "content": "plain text has no images"},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": "https://example.com/b.png"},  # old form
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/c"}},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAA="},
                    },
                    {"type": "image_url", "image_url": {"detail": "low"}},  # no URL: none
                    "a bare string part",
                ],
            },
        ],
    }
    response = {"data": [{"url": "https://example.com/d.png"}, {"b64_json": "BBB="}, {}]}
    found = request_assets(REQUEST_ID, request, response)
    assert list(found) == [asset_id(REQUEST_ID, index) for index in range(6)]
    assert list(found.values()) == [
        "https://example.com/b.png",
        "https://example.com/c",
        "data:image/jpeg;base64,AAA=",
        "https://example.com/a.png",
        "https://example.com/d.png",
        "data:image/png;base64,BBB=",
    ]


def test_ids_are_the_same_at_every_read_and_differ_between_requests():
    body = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}]}
    first = request_assets(REQUEST_ID, body, {})
    assert first == request_assets(REQUEST_ID, body, {})
    assert set(first).isdisjoint(request_assets(str(uuid.uuid4()), body, {}))
    assert str(uuid.UUID(next(iter(first)))) == next(iter(first))


def test_bodies_without_images_or_that_are_not_json_have_none():
    assert request_assets(REQUEST_ID, {}, {}) == {}
    assert request_assets(REQUEST_ID, "not json", ["a", "list"]) == {}
    assert request_assets(REQUEST_ID, {"messages": "text", "input": [1, None]}, {"data": 5}) == {}
    assert request_assets("not-a-uuid", {"messages": []}, {}) == {}


def test_at_most_max_assets_are_listed():
    parts = [{"type": "image_url", "image_url": {"url": f"u{i}"}} for i in range(MAX_ASSETS + 5)]
    found = request_assets(REQUEST_ID, {"messages": [{"role": "user", "content": parts}]}, {})
    assert len(found) == MAX_ASSETS
    assert list(found.values())[-1] == f"u{MAX_ASSETS - 1}"

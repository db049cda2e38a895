"""The fake provider's /v1/moderations, as OpenAI's SDK reads it."""

from __future__ import annotations

import httpx
import openai
import pytest

from heliograph.mock_provider import FakeProvider
from heliograph.mock_provider.openai_moderations import CATEGORIES


def client(fake: FakeProvider, key: str = "sk-test") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{fake.url}/v1", api_key=key, max_retries=0)


def test_a_marked_text_is_flagged_in_its_category(fake_provider: FakeProvider):
    answer = client(fake_provider).moderations.create(
        input=["a kind word", "flag:violence flag:hate/threatening"]
    )
    clean, flagged = answer.results
    assert not clean.flagged and not any(clean.categories.model_dump(by_alias=True).values())
    assert flagged.flagged
    named = flagged.categories.model_dump(by_alias=True)
    assert {name for name, on in named.items() if on} == {"violence", "hate/threatening"}
    assert flagged.category_scores.violence == 0.99 and clean.category_scores.violence < 0.01
    assert set(named) >= set(CATEGORIES) - {"illicit", "illicit/violent"}


def test_content_parts_make_one_result(fake_provider: FakeProvider):
    parts = [
        {"type": "text", "text": "flag:self-harm"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    answer = client(fake_provider).moderations.create(input=parts)  # type: ignore[arg-type]
    assert [r.flagged for r in answer.results] == [True]


def test_mistakes_and_misbehaviour_answer_errors(fake_provider: FakeProvider):
    url = f"{fake_provider.url}/v1/moderations"
    auth = {"Authorization": "Bearer sk-test"}
    unknown = httpx.post(url, json={"input": "flag:rudeness"}, headers=auth)
    assert unknown.status_code == 400 and "rudeness" in unknown.json()["error"]["message"]
    assert httpx.post(url, json={"input": "hi"}).status_code == 401
    assert httpx.post(url, json={"input": 3}, headers=auth).status_code == 400
    failing = {"Authorization": "Bearer sk-fake-behaviour:moderation_status=503"}
    assert httpx.post(url, json={"input": "hi"}, headers=failing).status_code == 503
    with pytest.raises(openai.InternalServerError):
        client(fake_provider, "sk-fake-behaviour:moderation_status=500").moderations.create(
            input="hi"
        )
    # The chat route ignores the moderation behaviours.
    chat = client(fake_provider, "sk-fake-behaviour:moderation_status=500").chat.completions
    assert chat.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]).choices

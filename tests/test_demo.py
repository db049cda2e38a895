"""`heliograph serve --demo` as a newcomer runs it: what it prints works as printed, every
provider the docs use answers without a setting, Ctrl-C stops it cleanly, a restart does not
send the samples again."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from openai import OpenAI

from heliograph.demo import DEMO_KEY, SAMPLE_REQUESTS
from tests.demo_process import Demo


def logged_requests(url: str) -> int:
    response = httpx.post(
        url + "/v1/request/query-clickhouse",
        headers={"Authorization": f"Bearer {DEMO_KEY}"},
        json={"filter": "all", "limit": 1000},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return len(response.json()["data"])


def wait_for_rows(url: str, count: int) -> int:
    deadline = time.monotonic() + 30
    while (seen := logged_requests(url)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


def test_the_demo_works_as_printed_and_stops_cleanly(tmp_path: Path):
    demo = Demo(tmp_path / "data")
    try:
        demo.wait_for(f"demo: sent {SAMPLE_REQUESTS} sample requests")
        printed = demo.output()
        assert DEMO_KEY in printed and f"{demo.url}/openai/v1" in printed
        assert f"Unified gateway:  {demo.url}/v1" in printed
        # The unified gateway's routing and fallback example, with no provider key set.
        client = OpenAI(base_url=demo.url + "/v1", api_key=DEMO_KEY)
        for model in (
            "gpt-4o-mini/openai,claude-3-5-sonnet-20241022/anthropic",
            "claude-3-5-sonnet-20241022",
            "gemini-1.5-flash/google",
        ):
            reply = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "Hello"}]
            )
            assert reply.choices[0].message.content, model
        # The README's passthrough example, as written there.
        proxied = OpenAI(
            base_url=demo.url + "/openai/v1",
            api_key="sk-your-openai-key",
            default_headers={"Helicone-Auth": f"Bearer {DEMO_KEY}"},
        )
        assert (
            proxied.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
            )
            .choices[0]
            .message.content
        )
        assert wait_for_rows(demo.url, SAMPLE_REQUESTS + 4) == SAMPLE_REQUESTS + 4
    finally:
        status = demo.interrupt()
    assert status == 0, demo.output()
    tail = demo.output().rstrip().splitlines()[-1]
    assert tail == "Heliograph stopped.", demo.output()
    assert "Aborted" not in demo.output() and "Traceback" not in demo.output()


def test_a_restarted_demo_does_not_send_its_samples_again(tmp_path: Path):
    first = Demo(tmp_path / "data")
    first.wait_for(f"demo: sent {SAMPLE_REQUESTS} sample requests")
    assert wait_for_rows(first.url, SAMPLE_REQUESTS) == SAMPLE_REQUESTS
    assert first.interrupt() == 0
    again = Demo(tmp_path / "data")
    try:
        again.wait_for("the sample requests were sent before")
        time.sleep(1)  # what a second sending would have logged by now
        assert logged_requests(again.url) == SAMPLE_REQUESTS
    finally:
        assert again.interrupt() == 0

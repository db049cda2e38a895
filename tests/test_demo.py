"""`heliograph serve --demo` as a newcomer runs it: what it prints works as printed, every
provider the docs use answers without a setting, Ctrl-C stops it cleanly, a restart does not
send the samples again."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from openai import OpenAI

from heliograph.demo import DEMO_KEY, SAMPLE_REQUESTS
from tests.server import clean_environ

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class Demo:
    def __init__(self, data_dir: Path) -> None:
        self.log_path = data_dir.parent / f"demo-{time.monotonic_ns()}.log"  # one per start
        command = [sys.executable, "-m", "heliograph", "serve", "--demo", "--port", "0"]
        command += ["--data-dir", str(data_dir)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, env=clean_environ(), stdout=log, stderr=subprocess.STDOUT
            )
        self.url = self._wait_for(LISTENING).group(1)  # printed before it answers
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"the demo did not answer:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_for(self, pattern: re.Pattern[str], timeout_s: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = pattern.search(self.output())
            if found:
                return found
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        raise AssertionError(f"no {pattern.pattern!r} in:\n{self.output()}")

    def wait_for(self, text: str) -> None:
        self._wait_for(re.compile(re.escape(text)))

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


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

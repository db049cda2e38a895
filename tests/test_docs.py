"""Docs as tests: every shell, console and Python block of README.md, docs/*.md and the READMEs
beside the code runs against one demo server (`heliograph serve --demo --port 0`), so that a
changed behaviour breaks its doc; every TOML block loads as a heliograph.toml.

A block that cannot run here (it starts a server of its own, runs for minutes, needs root or
a real provider) is marked in the Markdown with `<!-- doc-test: skip: REASON -->` on the line
before its fence; its test is skipped with that reason, which `pytest -ra` lists.

What a block gets, as a reader following the docs would have it:
- `127.0.0.1:8585` and `localhost:8585` (the default port) become the demo server's address;
  `https://example.com/` (a webhook receiver) becomes `http://127.0.0.1:9/`, a closed port
  the server is allowed to reach, so that no delivery leaves the machine;
- `KEY`, `HELIOGRAPH_API_KEY` and `HELICONE_API_KEY` are the demo key, `REQUEST_ID` a logged
  sample request, `SESSION_ID` a sample session, `WEBHOOK_ID` a webhook of the demo
  organization, `OPENAI_API_KEY` any key; docs/prompts.md's ids (`prompt_123`, `version_456`,
  `version_789`, `req_789`) become those of a prompt made for it, `S3_URL` its version's URL;
  calls made to OpenAI directly (not through Heliograph) go to the mock provider
  (`OPENAI_BASE_URL`), and LiteLLM is kept off the network (its price list is the bundled one);
- commands find `heliograph` on the PATH, and the CLI's settings are the demo server's
  (`HELIOGRAPH_DATA_DIR`, `HELIOGRAPH_PORT`): `heliograph keys create` acts on its data;
- shell blocks run with `bash` under `set -euo pipefail`, `curl` with `--fail-with-body`;
  Python blocks with this interpreter. A console block's `$ command` lines run in one bash
  session: one with output shown under it must print that (stdout and stderr; `...` in a
  line stands for any text), whatever its status; one without must succeed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from heliograph.config import ConfigError
from heliograph.demo import DEMO_KEY, SAMPLE_NAMESPACE, SAMPLE_REQUESTS
from heliograph.mock_provider import FakeProvider
from heliograph.settings_sources import load_settings
from tests.demo_process import Demo
from tests.doc_blocks import (
    CONSOLE,
    KNOWN,
    PYTHON,
    SHELL,
    TOML,
    Block,
    all_blocks,
    console_commands,
    shows,
)
from tests.server import clean_environ, wait_for_logged_row

BLOCKS = all_blocks()
BLOCK_TIMEOUT_S = 120
CLOSED_PORT = "127.0.0.1:9"  # the tests' unreachable upstream (tests/conftest.py)
STATUS = "@@doc-test-status"  # printed after each command of a console block, with its status
SHELL_PREAMBLE = (
    'set -euo pipefail\ncurl() { command curl --fail-with-body --silent --show-error "$@"; }\n'
)


@dataclass(frozen=True)
class DocsServer:
    url: str
    env: Mapping[str, str]
    cwd: Path
    ids: Mapping[str, str]  # the docs' placeholder ids -> real ones of the demo

    def rewrite(self, code: str) -> str:
        address = self.url.removeprefix("http://")
        code = re.sub(r"\b(?:127\.0\.0\.1|localhost):8585\b", address, code)
        for placeholder, real in self.ids.items():
            code = re.sub(rf"\b{placeholder}\b", real, code)
        return code.replace("https://example.com/", f"http://{CLOSED_PORT}/")

    def run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        """Run `command` as a reader would, but with nothing to read on stdin."""
        return subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            env=dict(self.env),
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
        )


@pytest.fixture(scope="module")
def docs_server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocsServer]:
    """One demo server for every block, with its sample requests logged."""
    home = tmp_path_factory.mktemp("docs")
    settings = {"HELIOGRAPH_OUTBOUND_ALLOW": CLOSED_PORT, "HELIOGRAPH_LOG_BATCH_MS": "50"}
    demo = Demo(home / "data", env=settings)
    try:
        demo.wait_for(f"demo: sent {SAMPLE_REQUESTS} sample requests")
        request_id = str(uuid.uuid5(SAMPLE_NAMESPACE, "0"))
        with httpx.Client(
            base_url=demo.url, headers={"Authorization": f"Bearer {DEMO_KEY}"}, timeout=30
        ) as api:
            wait_for_logged_row(api, request_id, timeout=30)
            never = {"propertyFilters": [{"key": "doc-test", "value": "never"}]}
            webhook = api.post(
                "/v1/webhooks", json={"destination": f"http://{CLOSED_PORT}/hook", "config": never}
            )
            assert webhook.status_code == 200, webhook.text
        (home / "work").mkdir()
        env = clean_environ() | {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "KEY": DEMO_KEY,
            "HELIOGRAPH_API_KEY": DEMO_KEY,
            "HELICONE_API_KEY": DEMO_KEY,
            "HELIOGRAPH_DATA_DIR": str(demo.data_dir),
            "HELIOGRAPH_PORT": demo.url.rsplit(":", 1)[1],
            "REQUEST_ID": request_id,
            "SESSION_ID": "demo-session-0",
            "WEBHOOK_ID": webhook.json()["data"]["id"],
            "OPENAI_API_KEY": "sk-your-openai-key",
            "OPENAI_BASE_URL": fake_provider.url + "/v1",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_OFFLINE_MODE": "true",
        }
        ids = prompt_ids(demo.url)
        env["S3_URL"] = ids.pop("S3_URL")
        yield DocsServer(demo.url, env, home / "work", ids)
    finally:
        demo.interrupt()


def prompt_ids(url: str) -> dict[str, str]:
    """What docs/prompts.md's placeholder ids stand for: a prompt with a version serving
    production (`version_456`), one serving staging (`version_789`), and a gateway call that
    filled the first with inputs (`req_789`); and the first version's S3_URL."""
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You help customers of {{hc:company:string}}."}],
    }
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {DEMO_KEY}"}) as api:
        created = api.post("/v1/prompt-2025", json={"name": "Docs", "promptBody": body})
        prompt = created.json()["data"]
        second = api.post(
            "/v1/prompt-2025/update",
            json={"promptId": prompt["id"], "promptVersionId": prompt["versionId"],
                  "newMajorVersion": False, "environment": "staging", "promptBody": body,
                  "commitMessage": "staging"},
        )  # fmt: skip
        assert second.status_code == 200, second.text
        version = api.post(
            "/v1/prompt-2025/query/version", json={"promptVersionId": prompt["versionId"]}
        ).json()["data"]
        call = {"model": "gpt-4o-mini", "prompt_id": prompt["id"],
                "version_id": prompt["versionId"], "inputs": {"company": "Acme Corp"}}  # fmt: skip
        answered = api.post("/v1/chat/completions", json=call)
        assert answered.status_code == 200, answered.text
        request_id = answered.headers["helicone-id"]
        inputs = f"/v1/prompt-2025/id/{prompt['id']}/{prompt['versionId']}/inputs"
        deadline = time.monotonic() + 30  # inputs are written a moment after the call
        while api.get(inputs, params={"requestId": request_id}).status_code != 200:
            assert time.monotonic() < deadline, "the call's prompt inputs were not recorded"
            time.sleep(0.1)
    return {
        "prompt_123": prompt["id"],
        "version_456": prompt["versionId"],
        "version_789": second.json()["data"]["id"],
        "req_789": request_id,
        "S3_URL": version["s3_url"],
    }


def _runs(block: Block) -> bool:
    return block.language in SHELL | PYTHON | CONSOLE


def _failure(block: Block, result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{block.id} ({block.language}) exited {result.returncode}\n--- block ---\n{block.code}"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def _check_console(block: Block, server: DocsServer, code: str) -> None:
    commands = console_commands(code)
    script = "exec 2>&1\n" + "".join(
        f"{command.command}\nprintf '\\n{STATUS} %s\\n' $?\n" for command in commands
    )
    result = server.run(["bash", "-c", script])
    pieces = re.split(rf"^{STATUS} (\d+)$", result.stdout, flags=re.MULTILINE)
    assert len(pieces) == 2 * len(commands) + 1, _failure(block, result)
    for command, output, status in zip(commands, pieces[0::2], pieces[1::2], strict=False):
        where = f"{block.id}: $ {command.command}"
        if command.expected:
            assert shows(command.expected, output), f"{where}\nprinted:\n{output}"
        else:
            assert status == "0", f"{where}\nexited {status}:\n{output}"


RUN = [b for b in BLOCKS if _runs(b) and b.skip_reason is None]
MARKED = [b for b in BLOCKS if _runs(b) and b.skip_reason is not None]


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_block_runs_as_written(block: Block, docs_server: DocsServer) -> None:
    code = docs_server.rewrite(block.code)
    if block.language in CONSOLE:
        _check_console(block, docs_server, code)
        return
    if block.language in SHELL:
        result = docs_server.run(["bash", "-c", SHELL_PREAMBLE + code])
    else:
        result = docs_server.run([sys.executable, "-c", code])
    assert result.returncode == 0, _failure(block, result)


@pytest.mark.parametrize("block", MARKED, ids=lambda b: b.id)
def test_marked_block_is_listed_with_its_reason(block: Block) -> None:
    pytest.skip(f"{block.id}: {block.skip_reason}")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language in TOML], ids=lambda b: b.id)
def test_toml_block_is_a_valid_config(block: Block, tmp_path: Path) -> None:
    config = tmp_path / "heliograph.toml"
    config.write_text(block.code)
    try:
        load_settings(config, environ={})
    except ConfigError as error:
        pytest.fail(f"{block.id}: {error}")


def test_every_block_says_how_it_is_checked() -> None:
    """A block names its language, one the tests know (run, loaded or only shown); a marker
    is a skip with its reason, on a block that would otherwise run."""
    problems = [f"{b.id}: untagged block" for b in BLOCKS if not b.language]
    problems += [
        f"{b.id}: language {b.language!r}: run it or add it to SHOWN in tests/doc_blocks.py"
        for b in BLOCKS
        if b.language and b.language not in KNOWN
    ]
    for block in (b for b in BLOCKS if b.marker is not None):
        if not block.skip_reason:
            problems.append(f"{block.id}: a marker must be `skip: REASON`: {block.marker!r}")
        elif not _runs(block):
            problems.append(f"{block.id}: marked to skip, but {block.language} is not run")
    assert not problems, "\n".join(problems)

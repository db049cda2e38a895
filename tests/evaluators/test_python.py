"""Python evaluators in the sandbox, through /v1/evaluator/python/test: a score and traces;
network, files outside the sandbox (the data directory above all), new processes, an endless
loop, a memory bomb and a sleeper each refused or stopped with a clear error, the server
answering throughout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import in_process_app
from tests.inprocess import InProcessServer

TEST_INPUT = {"inputBody": '{"messages": []}', "outputBody": '{"choices": [{"text": "four"}]}'}


@pytest.fixture(scope="module")
def server(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    yield from in_process_app(
        fake_provider,
        tmp_path_factory,
        "evaluators-python",
        HELIOGRAPH_PYTHON_EVALUATOR_TIMEOUT_S="3",
        HELIOGRAPH_PYTHON_EVALUATOR_CPU_S="1",
        HELIOGRAPH_PYTHON_EVALUATOR_MEMORY_MB="128",
    )


def _run(server: InProcessServer, code: str) -> dict[str, Any]:
    with server.api() as client:
        answer = client.post(
            "/v1/evaluator/python/test", json={"code": code, "testInput": TEST_INPUT}
        )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["data"]
    return result


def _still_answers(server: InProcessServer) -> None:
    assert server.request("GET", "/healthz").status_code == 200
    assert _run(server, "def evaluate(request, response):\n    return 2")["output"] == "2"


def test_the_code_scores_the_call_and_its_prints_are_traces(server: InProcessServer):
    code = (
        "import json, math\n"
        "def evaluate(request, response):\n"
        "    print('choices:', len(response['choices']))\n"
        "    return math.sqrt(len(response['choices'][0]['text']) * 4) + 0.5\n"
    )
    assert _run(server, code) == {"output": "4.5", "traces": ["choices: 1"], "statusCode": 200}
    assert _run(server, "def evaluate(request, response):\n    return True")["output"] == "1"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("x = 1", "the code must define evaluate(request, response)"),
        (
            "def evaluate(request, response):\n    return 'good'",
            "must return a number or a boolean",
        ),
        ("def evaluate(request, response):\n    raise ValueError('no')", "ValueError: no"),
        ("def evaluate(request, response):\n    return float('nan')", "not a finite number"),
        ("def evaluate(", "SyntaxError"),
    ],
)
def test_code_that_gives_no_score_says_why(server: InProcessServer, code: str, error: str):
    result = _run(server, code)
    assert result["statusCode"] == 500 and error in result["output"], result


NETWORK = (
    "import socket\n"
    "def evaluate(request, response):\n"
    "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
    "    return 1\n"
)
URLLIB = (
    "import urllib.request\n"
    "def evaluate(request, response):\n"
    "    urllib.request.urlopen('http://example.com', timeout=1)\n"
    "    return 1\n"
)
PROCESS = (
    "import subprocess\n"
    "def evaluate(request, response):\n"
    "    subprocess.run(['id'])\n"
    "    return 1\n"
)
SYSTEM = "import os\ndef evaluate(request, response):\n    os.system('id')\n    return 1\n"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (NETWORK, "socket."),
        (URLLIB, "socket."),
        (PROCESS, "not allowed"),
        (SYSTEM, "os.system is not allowed"),
    ],
)
def test_network_and_new_processes_are_refused(server: InProcessServer, code: str, error: str):
    result = _run(server, code)
    assert result["statusCode"] == 500 and error in result["output"], result
    _still_answers(server)


def _reads(path: str) -> str:
    return f"def evaluate(request, response):\n    open({path!r}).read()\n    return 1\n"


def test_files_outside_the_sandbox_are_refused(server: InProcessServer):
    secret = server.data_dir / "secret.key"
    secret.write_text("do not read")
    for path in (str(secret), str(server.data_dir / "meta.db"), "/etc/passwd"):
        result = _run(server, _reads(path))
        assert result["statusCode"] == 500 and "is not allowed" in result["output"], result
    listing = "import os\ndef evaluate(request, response):\n    return len(os.listdir({!r}))\n"
    result = _run(server, listing.format(str(server.data_dir)))
    assert result["statusCode"] == 500 and "os.listdir" in result["output"], result
    own = (
        "def evaluate(request, response):\n"
        "    open('scratch.txt', 'w').write('mine')\n"
        "    return len(open('scratch.txt').read())\n"
    )
    assert _run(server, own)["output"] == "4"  # its own working directory is its own


def test_an_endless_loop_is_stopped_at_the_cpu_limit(server: InProcessServer):
    started = time.monotonic()
    result = _run(server, "def evaluate(request, response):\n    while True:\n        pass\n")
    assert result["statusCode"] == 500
    assert result["output"] == "Stopped: the evaluator used over 1 s of CPU", result
    assert time.monotonic() - started < 10
    _still_answers(server)


def test_a_sleeper_is_stopped_at_the_wall_clock_limit(server: InProcessServer):
    code = "import time\ndef evaluate(request, response):\n    time.sleep(60)\n"
    result = _run(server, code)
    assert result["output"] == "Stopped: the evaluator ran longer than 3 s", result
    _still_answers(server)


def test_a_memory_bomb_is_stopped_at_the_memory_limit(server: InProcessServer):
    code = (
        "def evaluate(request, response):\n"
        "    hoard = ['x' * (1 << 20) for _ in range(10_000)]\n"
        "    return len(hoard)\n"
    )
    result = _run(server, code)
    assert result["statusCode"] == 500 and "MemoryError" in result["output"], result
    _still_answers(server)

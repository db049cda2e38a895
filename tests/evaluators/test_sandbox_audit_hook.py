"""The Python sandbox with its audit hook alone (namespaces turned off, as on a kernel
without them): network, files outside the working directory (the data directory above all),
an endless loop and a memory bomb are each refused or stopped with a clear error.

Here nothing but the hook stands between the code and a listening socket or a readable file,
so each refusal below is the hook's (or a resource limit's), not the namespaces'.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from heliograph.evaluators.sandbox import PythonSandbox, SandboxLimits, SandboxResult

LIMITS = SandboxLimits(cpu_s=1, memory_bytes=128 << 20, wall_s=5.0, workers=1)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_text("do not read")
    return data


def _run(data_dir: Path, code: str) -> tuple[SandboxResult, str]:
    async def run() -> tuple[SandboxResult, str]:
        sandbox = PythonSandbox(LIMITS, data_dir, use_namespaces=False)
        result = await sandbox.run(code, '{"messages": []}', '{"choices": []}')
        return result, sandbox.isolation

    return asyncio.run(run())


def test_a_harmless_evaluator_scores_with_the_audit_hook_alone(data_dir: Path):
    code = "def evaluate(request, response):\n    print('ok')\n    return len(request) + 1\n"
    result, isolation = _run(data_dir, code)
    assert isolation == "audit-hook"
    assert (result.score, result.error, result.traces) == (2, None, ["ok"])


def test_a_listening_socket_on_loopback_is_not_reached(data_dir: Path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        code = (
            "import socket\n"
            "def evaluate(request, response):\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'hi')\n"
            "    return 1\n"
        )
        result, _ = _run(data_dir, code)
        with pytest.raises(TimeoutError):  # nothing connected
            listener.accept()
    assert result.score is None
    assert result.error is not None and "is not allowed in a Python evaluator" in result.error
    assert result.error.startswith("PermissionError: socket."), result.error


@pytest.mark.parametrize("name", ["secret.key", "."])
def test_the_data_directory_is_refused_though_it_is_readable(data_dir: Path, name: str):
    target = data_dir / name
    assert target.exists()  # readable by this process: only the hook keeps the code out
    reading = "open({0!r}).read()" if name != "." else "__import__('os').listdir({0!r})"
    code = f"def evaluate(request, response):\n    {reading.format(str(target))}\n    return 1\n"
    result, _ = _run(data_dir, code)
    assert result.error is not None and "not allowed" in result.error, result
    assert str(target.resolve()) in result.error or "os.listdir" in result.error


def test_system_files_are_refused(data_dir: Path):
    code = "def evaluate(request, response):\n    return len(open('/etc/passwd').read())\n"
    result, _ = _run(data_dir, code)
    assert result.error == (
        "PermissionError: opening '/etc/passwd' is not allowed in a Python evaluator"
    )


def test_an_endless_loop_is_stopped_at_the_cpu_limit(data_dir: Path):
    result, _ = _run(data_dir, "def evaluate(request, response):\n    while True:\n        pass\n")
    assert result.error == "Stopped: the evaluator used over 1 s of CPU"


def test_a_memory_bomb_is_stopped_at_the_memory_limit(data_dir: Path):
    code = (
        "def evaluate(request, response):\n"
        "    hoard = ['x' * (1 << 20) for _ in range(10_000)]\n"
        "    return len(hoard)\n"
    )
    result, _ = _run(data_dir, code)
    assert result.error == "MemoryError: the evaluator went over its memory limit"

"""Python evaluators run in a sandboxed subprocess (sandbox_runner.py), a few at a time.

Each run is a fresh `python -I` with a clean environment and an empty temporary working
directory, under resource limits it sets itself (CPU seconds, address space, open files, no
new processes, 1 MiB files) and a wall-clock timeout after which its process group is
killed. Where the kernel lets an unprivileged process make namespaces (`unshare -rnm`), it
runs with no network at all (an empty network namespace) and with the data directory
hidden under an empty read-only tmpfs; elsewhere only the runner's audit hook refuses
sockets and files. docs/datasets-evals-experiments.md gives the threat model.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from heliograph.errors import HeliographError, RetryLaterError

RUNNER = Path(__file__).with_name("sandbox_runner.py")
MAX_OUTPUT_BYTES = 1 << 20
MAX_WAITING_PER_WORKER = 8
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    cpu_s: int = 2
    memory_bytes: int = 256 << 20
    wall_s: float = 5.0
    workers: int = 2


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """A run's outcome: a score, or an error saying why there is none; what it printed."""

    score: int | float | bool | None
    error: str | None
    traces: list[str] = field(default_factory=list)


class PythonSandbox:
    def __init__(self, limits: SandboxLimits, hidden: Path, *, use_namespaces: bool = True) -> None:
        """`use_namespaces=False` runs with the audit hook alone even where namespaces work:
        what a kernel without them gives, so that mode can be tested on any machine."""
        self._limits = limits
        self._hidden = hidden.resolve()  # the data directory, out of the code's sight
        self._slots = asyncio.Semaphore(limits.workers)
        self._waiting = 0
        self._namespaces: bool | None = None if use_namespaces else False

    @property
    def isolation(self) -> str:
        """How runs are isolated: "namespaces" (no network, the data directory hidden),
        "audit-hook" (the runner's hook only), or "unknown" before the first run."""
        if self._namespaces is None:
            return "unknown"
        return "namespaces" if self._namespaces else "audit-hook"

    async def run(self, code: str, request_body: str, response_body: str) -> SandboxResult:
        """Run `evaluate(request, response)` of `code`; 503 when too many runs wait."""
        if self._waiting >= self._limits.workers * MAX_WAITING_PER_WORKER:
            raise RetryLaterError("Too many Python evaluations are waiting", 1, status=503)
        self._waiting += 1
        try:
            async with self._slots:
                if self._namespaces is None:
                    self._namespaces = await _namespaces_work()
                return await self._run(code, request_body, response_body)
        finally:
            self._waiting -= 1

    def _command(self) -> list[str]:
        python = [sys.executable, "-I", str(RUNNER)]
        if not self._namespaces:
            return python
        # In a new user, network and mount namespace: the data directory under an empty
        # read-only tmpfs, then the runner. "$1" is the directory (never parsed by the shell).
        script = 'mount -t tmpfs -o size=4k,ro none "$1" && shift && exec "$@"'
        hide = ["sh", "-c", script, "sh", str(self._hidden)]
        return ["unshare", "-rnm", "--propagation", "private", *hide, *python]

    async def _run(self, code: str, request_body: str, response_body: str) -> SandboxResult:
        workdir = tempfile.mkdtemp(prefix="heliograph-evaluator-")
        job = {
            "code": code,
            "request_body": request_body,
            "response_body": response_body,
            "cpu_s": self._limits.cpu_s,
            "memory_bytes": self._limits.memory_bytes,
            "root": workdir,
        }
        try:
            process = await asyncio.create_subprocess_exec(
                *self._command(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                cwd=workdir,
                env=ENV,
                start_new_session=True,
            )
            return await self._outcome(process, orjson.dumps(job))
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def _outcome(self, process: asyncio.subprocess.Process, job: bytes) -> SandboxResult:
        wall = self._limits.wall_s
        try:
            async with asyncio.timeout(wall):
                output = await _communicate(process, job)
        except TimeoutError:
            _kill(process)
            await process.wait()
            return SandboxResult(None, f"Stopped: the evaluator ran longer than {wall:g} s")
        except OutputTooLarge:
            _kill(process)
            await process.wait()
            return SandboxResult(
                None, f"Stopped: the evaluator wrote over {MAX_OUTPUT_BYTES} bytes"
            )
        except BaseException:  # cancelled (the caller's own timeout, shutdown): no orphan
            _kill(process)
            raise
        return _result(process.returncode, output, self._limits)


class OutputTooLarge(HeliographError):
    """The evaluator's process wrote more than MAX_OUTPUT_BYTES (it is killed)."""


async def _communicate(process: asyncio.subprocess.Process, job: bytes) -> bytes:
    assert process.stdin is not None and process.stdout is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        process.stdin.write(job)
        await process.stdin.drain()
        process.stdin.close()
    output = b""
    while chunk := await process.stdout.read(65536):
        output += chunk
        if len(output) > MAX_OUTPUT_BYTES:
            raise OutputTooLarge(f"over {MAX_OUTPUT_BYTES} bytes")
    await process.wait()
    return output


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _result(returncode: int | None, output: bytes, limits: SandboxLimits) -> SandboxResult:
    lines = output.strip().splitlines()
    parsed: Any = None
    if lines:
        with contextlib.suppress(orjson.JSONDecodeError):
            parsed = orjson.loads(lines[-1])
    if isinstance(parsed, dict):
        traces = [str(t) for t in parsed.get("traces", [])][:1000]
        if parsed.get("ok"):
            return SandboxResult(parsed.get("score"), None, traces)
        return SandboxResult(None, str(parsed.get("error") or "the evaluator failed"), traces)
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return SandboxResult(None, f"Stopped: the evaluator used over {limits.cpu_s} s of CPU")
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name
        return SandboxResult(None, f"Stopped: the evaluator was killed ({name})")
    return SandboxResult(None, "The evaluator's process ended without a result")


async def _namespaces_work() -> bool:
    """Whether `unshare -rnm` (user, network and mount namespaces) works for this process."""
    if shutil.which("unshare") is None:
        return False
    try:
        probe = await asyncio.create_subprocess_exec(
            "unshare", "-rnm", "--propagation", "private", "true",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return await asyncio.wait_for(probe.wait(), 10) == 0
    except (OSError, TimeoutError):
        return False

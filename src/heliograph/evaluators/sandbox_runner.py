"""The program a Python evaluator runs in (started by sandbox.py as `python -I` this file).

Standalone on purpose: it imports nothing of Heliograph. It reads one JSON job on stdin
({"code", "request_body", "response_body", "cpu_s", "memory_bytes", "root"}), sets its own
resource limits, installs an audit hook that refuses sockets, new processes, native code
and files outside its working directory (reads of the Python installation excepted), runs
the code and writes one JSON result line to the stdout it was given. The user's code
defines `evaluate(request, response)` returning a number or a boolean; `print` goes to the
result's traces.
"""

import io
import json
import math
import os
import resource
import sys
from collections.abc import Callable
from typing import Any

MAX_TRACE_CHARS = 64 * 1024
DENIED_PREFIXES = ("socket.", "subprocess.", "ctypes.", "os.exec", "os.spawn", "os.posix_spawn")
DENIED_EVENTS = {"os.system", "os.fork", "os.forkpty", "pty.spawn", "sys.addaudithook", "os.kill"}
PATH_EVENTS = {
    "os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.link",
    "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move",
}  # fmt: skip
READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}


def _inside(path: Any, roots: list[str]) -> bool:
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return any(real == root or real.startswith(root + os.sep) for root in roots)


# Refusals are PermissionErrors (OSErrors): what Python does around files (writing bytecode
# caches, say) moves on, and the user's code sees what a locked-down machine would raise.
def _hook(workdir: str, read_roots: list[str]) -> Callable[[str, tuple[Any, ...]], None]:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event.startswith(DENIED_PREFIXES) or event in DENIED_EVENTS:
            raise PermissionError(f"{event} is not allowed in a Python evaluator")
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int) or _inside(path, [workdir]):
                return
            writing = (flags or 0) & 3 or (mode or "r").strip("bt") != "r"
            if writing or not _inside(path, read_roots):
                raise PermissionError(
                    f"opening {os.fsdecode(path)!r} is not allowed in a Python evaluator"
                )
        elif event in PATH_EVENTS or event in READ_EVENTS:
            roots = [workdir] + (read_roots if event in READ_EVENTS else [])
            if args and isinstance(args[0], str | bytes) and not _inside(args[0], roots):
                raise PermissionError(f"{event} outside the working directory is not allowed")

    return hook


def _limit(job: dict[str, Any]) -> None:
    cpu = int(job["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(job["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _run(job: dict[str, Any]) -> int | float | bool:
    namespace = {"__name__": "evaluator", "__builtins__": __builtins__}
    exec(compile(job["code"], "<evaluator>", "exec"), namespace)
    evaluate = namespace.get("evaluate")
    if not callable(evaluate):
        raise TypeError("the code must define evaluate(request, response)")
    request, response = job["request_body"], job["response_body"]
    score = evaluate(_parsed(request) or request, _parsed(response) or response)
    if isinstance(score, float) and not math.isfinite(score):
        raise ValueError(f"evaluate() returned {score!r}: not a finite number")
    if isinstance(score, bool | int | float):
        return score
    raise TypeError(f"evaluate() must return a number or a boolean, not {type(score).__name__}")


def main() -> None:
    sys.dont_write_bytecode = True
    out = os.fdopen(os.dup(1), "w")
    job = json.loads(sys.stdin.read())
    workdir = os.path.realpath(job["root"])
    read_roots = sorted(
        {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    )
    traces = io.StringIO()
    sys.stdout = sys.stderr = traces
    os.chdir(workdir)
    _limit(job)
    sys.addaudithook(_hook(workdir, read_roots))
    result: dict[str, Any] = {"ok": False}
    try:
        result = {"ok": True, "score": _run(job)}
    except MemoryError:
        result["error"] = "MemoryError: the evaluator went over its memory limit"
    except RecursionError:
        result["error"] = "RecursionError: maximum recursion depth exceeded"
    except BaseException as exc:  # the user's code: report whatever it raised
        result["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    result["traces"] = traces.getvalue()[:MAX_TRACE_CHARS].splitlines()
    out.write(json.dumps(result) + "\n")
    out.flush()


if __name__ == "__main__":
    main()

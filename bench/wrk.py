"""wrk as the closed-loop load generator: its Lua script, its command line, its figures."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.processes import terminate

MARKER = "BENCH_RESULT "

# done() prints one JSON line: exact percentiles (microseconds) instead of wrk's rounded text.
_LUA = """\
wrk.method = "POST"
wrk.body = [==[{body}]==]
{headers}
{tally}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write('{marker}{{' .. {tally_json} .. string.format(
    '"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,' ..
    '"timeouts":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,' ..
    '"mean_us":%.1f,"max_us":%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end
"""

# Counts the responses by the value of one header ("-" when absent), per wrk thread; done()
# adds up the threads' counts. A `response` hook makes wrk keep every response's headers
# and body for Lua, so compare only runs that all have it or all lack it.
_TALLY = """\
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
init = function(args) tally = {{}} end
response = function(status, headers, body)
  local value = "-"
  for name, v in pairs(headers) do
    if string.lower(name) == "{name}" then value = v end
  end
  tally[value] = (tally[value] or 0) + 1
end
local function tally_json()
  local total = {{}}
  for _, thread in ipairs(threads) do
    for value, count in pairs(thread:get("tally")) do
      total[value] = (total[value] or 0) + count
    end
  end
  local parts = {{}}
  for value, count in pairs(total) do
    value = string.gsub(value, '[^%w%-_.;= ]', '?')
    table.insert(parts, string.format('"%s":%d', value, count))
  end
  return '"tally":{{' .. table.concat(parts, ",") .. '}},'
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    bytes: int
    connect_errors: int
    read_errors: int
    write_errors: int
    status_errors: int  # responses with a status over 399
    timeouts: int
    p50_us: float
    p90_us: float
    p99_us: float
    p999_us: float
    mean_us: float
    max_us: float
    tally: dict[str, int] | None = None  # responses by the tallied header's value

    @property
    def requests_per_s(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def errors(self) -> int:
        return (
            self.connect_errors
            + self.read_errors
            + self.write_errors
            + self.status_errors
            + self.timeouts
        )

    def as_dict(self) -> dict[str, Any]:
        figures = {k: v for k, v in asdict(self).items() if k != "tally" or v is not None}
        return {**figures, "requests_per_s": round(self.requests_per_s, 1)}


def write_script(
    path: Path, body: str, headers: dict[str, str], tally_header: str | None = None
) -> Path:
    """The Lua script for one case; `tally_header` counts the responses by that header."""
    if "]==]" in body or any('"' in k + v or "\\" in k + v for k, v in headers.items()):
        raise ValueError("request body or headers cannot be quoted for Lua")
    if tally_header is not None and not tally_header.replace("-", "").isalnum():
        raise ValueError(f"cannot tally header {tally_header!r}")
    lines = "\n".join(f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items())
    tally = _TALLY.format(name=tally_header.lower()) if tally_header else ""
    script = _LUA.format(
        body=body,
        headers=lines,
        tally=tally,
        tally_json="tally_json()" if tally_header else "''",
        marker=MARKER,
    )
    path.write_text(script)
    return path


def run(
    url: str,
    script: Path,
    connections: int,
    seconds: int,
    cpu: str | None,
) -> WrkResult:
    """One closed-loop wrk run; raises RuntimeError when wrk fails or prints no result."""
    threads = 1 if connections == 1 else 2
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        f"--script={script}",
        url,
    ]
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=seconds + 30)
    finally:
        terminate(process)
    for line in output.splitlines():
        if line.startswith(MARKER):
            return WrkResult(**json.loads(line[len(MARKER) :]))
    raise RuntimeError(f"wrk exited {process.returncode} without a result:\n{output[-2000:]}")

"""Which load generators drive a run: wrk (closed loop) and h2load (open loop) when both are
installed, else Python threads on raw sockets (bench.pyload) for both; the TTFT probe is
always bench.pyload's, one stream at a time.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import h2load, pyload, wrk
from bench.stack import Call
from bench.wrk import WrkResult

OPEN_LOOP_PY_CONNECTIONS = 16


@dataclass(frozen=True)
class Load:
    cpu: str | None  # where wrk and h2load run; the Python generator runs in this process
    workdir: Path
    native: bool  # wrk and h2load

    @classmethod
    def detect(cls, cpu: str | None, workdir: Path, stand_ins: bool = False) -> Load:
        native = not stand_ins and all(shutil.which(t) for t in ("wrk", "h2load"))
        return cls(cpu, workdir, native)

    @property
    def name(self) -> str:
        return "wrk + h2load" if self.native else "python threads (bench.pyload)"

    def closed(self, call: Call, connections: int, seconds: int) -> WrkResult:
        """Closed loop: `connections` each send the next request on the last answer."""
        if not self.native:
            return pyload.closed_loop(call.url, call.headers, call.body, connections, seconds)
        script = wrk.write_script(self.workdir / "case.lua", call.body, call.headers)
        return wrk.run(call.url, script, connections, seconds, self.cpu)

    def open(
        self,
        call: Call,
        rate: float,
        seconds: int,
        warmup_seconds: int,
        capacity: float | None = None,
    ) -> WrkResult:
        """Open loop at `rate` requests/s, after `warmup_seconds` at the same rate.

        `capacity`: the system's best closed-loop rate, which bounds how many requests a
        system slower than `rate` is sent, so that its run ends in about the same time."""
        if not self.native:
            if warmup_seconds:
                pyload.open_loop(
                    call.url, call.headers, call.body, rate, warmup_seconds,
                    OPEN_LOOP_PY_CONNECTIONS,
                )  # fmt: skip
            return pyload.open_loop(
                call.url, call.headers, call.body, rate, seconds, OPEN_LOOP_PY_CONNECTIONS
            )
        return h2load.run(
            call.url,
            call.headers,
            call.body,
            rate,
            seconds,
            warmup_seconds,
            self.cpu,
            self.workdir,
            capacity,
        )

    def ttft(self, call: Call, seconds: float) -> dict[str, Any]:
        return pyload.ttft_probe(call.url, call.headers, call.body, seconds)

"""bench.faults' load: a few threads calling Heliograph at a bounded rate, each call with its
own Helicone-Request-Id and its answer recorded, and a sampler of the server's RSS and open
descriptors.

The mix, in turn: gateway completions and streams, OpenAI passthrough completions (all three
logged, so each must end up stored exactly once), the REST request query and an HQL query
(reads, never logged). Proxied calls carry a rate-limit policy with a quota no call reaches,
so the limiter (in the harness's Redis) is on every call's path.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import procstat, stack
from bench.fixtures import request_body
from bench.httpclient import Connection, build_request

MIX = ("completion", "stream", "passthrough", "completion", "stream", "rest", "completion", "hql")
LOGGED_KINDS = frozenset({"completion", "stream", "passthrough"})
POLICY = "1000000000;w=60"  # the limiter counts every call and refuses none
CALL_TIMEOUT_S = 15.0
NO_ANSWER = 0  # the status recorded when the connection failed or timed out


@dataclass
class Target:
    """What the callers aim at: the server's current URL (a restart moves it), its window."""

    base_url: str
    window: str = "steady"  # the fault under way, or "steady"
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class CallRecord:
    request_id: str
    kind: str
    org: int  # index into the harness's API keys
    window: str
    status: int  # NO_ANSWER: no HTTP answer at all
    error: str
    seconds: float

    @property
    def logged(self) -> bool:
        return self.kind in LOGGED_KINDS


def _request(kind: str, base: str, key: str, request_id: str) -> bytes:
    headers = {"Content-Type": "application/json", "Helicone-Request-Id": request_id}
    if kind == "rest":
        body = json.dumps({"filter": "all", "limit": 5})
        headers["Authorization"] = f"Bearer {key}"
        return build_request(base + "/v1/request/query", headers, body)
    if kind == "hql":
        body = json.dumps({"sql": "SELECT count() AS calls FROM request_response_rmt"})
        headers["Authorization"] = f"Bearer {key}"
        return build_request(base + "/v1/helicone-sql/execute", headers, body)
    headers["Helicone-RateLimit-Policy"] = POLICY
    if kind == "passthrough":
        headers["Authorization"] = f"Bearer {stack.PROVIDER_KEY}"
        headers["Helicone-Auth"] = f"Bearer {key}"
        return build_request(base + stack.PASSTHROUGH_ROUTE, headers, request_body(False))
    headers["Authorization"] = f"Bearer {key}"
    model = stack.GATEWAY_MODELS["gateway-openai"]
    return build_request(base + stack.GATEWAY_ROUTE, headers, request_body(kind == "stream", model))


class Load:
    """`workers` threads, `rate` calls a second in all, until stop() or `max_calls` calls."""

    def __init__(self, target: Target, keys: list[str], rate: float, max_calls: int) -> None:
        self.target = target
        self.keys = keys
        self.interval_s = 0.0
        self.rate = rate
        self.max_calls = max_calls
        self.records: list[CallRecord] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, workers: int = 4) -> None:
        self.interval_s = workers / self.rate
        for index in range(workers):
            thread = threading.Thread(target=self._work, args=(index,), name=f"load-{index}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:  # each finishes its call: bounded by CALL_TIMEOUT_S
            thread.join()

    def _work(self, worker: int) -> None:
        connection: _Connection | None = None
        turn = worker
        while not self._stop.is_set() and len(self.records) < self.max_calls:
            began = time.monotonic()
            base = self.target.base_url
            if connection is None or connection.url != base:
                connection = _Connection(base)
            record = self._call(connection, MIX[turn % len(MIX)], turn % len(self.keys))
            with self._lock:
                self.records.append(record)
            turn += 1
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - began)))

    def _call(self, connection: _Connection, kind: str, org: int) -> CallRecord:
        request_id = str(uuid.uuid4())
        window = self.target.window  # the window the call was sent in
        began = time.monotonic()
        status, error = NO_ANSWER, ""
        try:
            request = _request(kind, connection.url, self.keys[org], request_id)
            status = connection.exchange(request).status
        except (OSError, ValueError, IndexError) as exc:  # refused, reset, timed out, garbled
            error = f"{type(exc).__name__}: {exc}"[:200]
        return CallRecord(
            request_id, kind, org, window, status, error, round(time.monotonic() - began, 3)
        )


class _Connection(Connection):
    """A keep-alive connection that remembers the base URL it was made for."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout_s=CALL_TIMEOUT_S)
        self.url = url


@dataclass(frozen=True)
class Sample:
    seconds: float  # since the load started
    start: int  # which start of the server (1: the first; a kill makes the next)
    window: str
    rss_mib: float
    open_fds: int
    healthz: int  # /healthz's status; NO_ANSWER when it did not answer in 2 s


def _healthz_status(base_url: str) -> int:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return NO_ANSWER


class ServerSampler:
    """Samples the server's RSS (its process tree), open descriptors and /healthz status
    once a second."""

    def __init__(self, server: Any, target: Target, interval_s: float = 1.0) -> None:
        self.server = server  # bench.faults_services.Heliograph: `pid` and `starts` move
        self.target = target
        self.interval_s = interval_s
        self.samples: list[Sample] = []
        self._began = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="server-sampler", daemon=True)

    def __enter__(self) -> ServerSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            pid, start, window = self.server.pid, self.server.starts, self.target.window
            with contextlib.suppress(OSError):  # killed between reading pid and /proc
                fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))
                rss = procstat.mib(procstat.rss_bytes(pid))
                seconds = round(time.monotonic() - self._began, 1)
                health = _healthz_status(self.target.base_url)
                self.samples.append(Sample(seconds, start, window, rss, fds, health))

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.samples]

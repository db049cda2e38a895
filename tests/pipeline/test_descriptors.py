"""File-descriptor exhaustion: the log writer holds rows, says so, and recovers by itself."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx

from heliograph.pipeline.sink import REQUEST_TABLE, ClickHouseSink
from heliograph.pipeline.spool import Spool
from heliograph.pipeline.writer import LogPipeline
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.log_row import LogRow, RequestKey
from heliograph.store.schema import apply_migrations
from tests.pipeline.test_writer import FlakySink, row
from tests.server import HeliographProcess, open_descriptors


@contextlib.contextmanager
def descriptors_used_up(below: int) -> Iterator[None]:
    """Lower this process's descriptor limit to `below` and take every free number under
    it, so that opening any file fails with EMFILE; all is given back on exit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    taken: list[int] = []
    resource.setrlimit(resource.RLIMIT_NOFILE, (below, hard))
    try:
        with contextlib.suppress(OSError):
            while True:
                taken.append(os.open(os.devnull, os.O_RDONLY))
        yield
    finally:
        for fd in taken:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_no_descriptor_for_the_next_segment_holds_rows_until_one_is_free(tmp_path: Path):
    # In a fresh process: in this one, a descriptor freed meanwhile by another test's
    # leftovers (a collected client, the fake provider's thread) would let the spool open.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.apply(_no_descriptor_for_the_next_segment, (str(tmp_path),))


def _no_descriptor_for_the_next_segment(directory: str) -> None:
    async def scenario() -> None:
        sink = FlakySink()
        spool = Spool(Path(directory))
        pipeline = LogPipeline(spool, sink, batch_rows=1000, batch_ms=20, fsync_ms=20)
        await pipeline.start()
        lines = [row() for _ in range(20)]
        # The open segment's descriptor stays usable above the limit; sealing it frees a
        # number no new file may take, so the next segment cannot be opened.
        with descriptors_used_up(below=spool._fd):
            for line in lines[:10]:
                pipeline.submit(line)
            await wait_for(lambda: pipeline.stats.store_failures >= 1)  # sealed, not stored
            for line in lines[10:]:
                pipeline.submit(line)
            await wait_for(lambda: pipeline.held_rows == 10)
            problem = pipeline.problem()
            assert problem is not None and "Too many open files" in problem
            assert pipeline.spool_write_failures >= 1
            assert sink.rows == []  # the sink cannot read the sealed segment either
        await wait_for(lambda: len(sink.rows) == 20)
        assert pipeline.problem() is None and pipeline.held_rows == 0
        await pipeline.close()
        stored = sorted(str(r["request_id"]) for r in sink.rows)
        assert stored == sorted(line.request_id for line in lines)

    asyncio.run(scenario())


def test_server_out_of_descriptors_says_so_and_recovers(
    start_server: Callable[..., HeliographProcess],
):
    server = start_server()
    assert server.process is not None
    pid = server.process.pid
    ids = [str(uuid.uuid4()) for _ in range(2)]
    with httpx.Client(base_url=server.url, timeout=10) as client:  # one kept-alive connection

        def call(request_id: str) -> httpx.Response:
            return client.post(
                "/openai/v1/chat/completions",
                headers={**server.auth, "Helicone-Request-Id": request_id},
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            )

        assert call(ids[0]).status_code == 200  # the upstream connection is pooled now
        server.wait_for_request(ids[0])
        # No descriptor left: the limit lowered to what the server holds. (Idle connections
        # can no longer use them up: the edge caps connections below the limit.)
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (open_descriptors(pid), hard))
        try:
            assert call(ids[1]).status_code == 200  # served on the connection it has
            deadline = time.monotonic() + 10
            while (health := client.get("/healthz")).status_code == 200:
                assert time.monotonic() < deadline, health.json()
                time.sleep(0.05)
            assert health.status_code == 503
            assert health.json()["status"] == "degraded"
            assert "Too many open files" in health.json()["reason"]
            key = {"Authorization": f"Bearer {server.api_key}"}
            reads = [
                client.post("/v1/request/query", json={"filter": "all", "limit": 5}, headers=key),
                client.post(
                    "/v1/helicone-sql/execute",
                    json={"sql": "SELECT count() FROM request_response_rmt"},
                    headers=key,
                ),
            ]
            for read in reads:  # the store failing under them is "retry later", never a 500
                assert read.status_code in (200, 503), read.text
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        deadline = time.monotonic() + 20
        while (health := client.get("/healthz")).status_code != 200:
            assert time.monotonic() < deadline, health.json()
            time.sleep(0.1)
    for request_id in ids:
        assert server.wait_for_request(request_id)["request_id"] == request_id


class StarvedSink:
    """The real chDB sink, but writes holding any of `starved` rows run with no descriptor
    free (as when a merge holds them all) until `starving` is turned off."""

    def __init__(self, sink: ClickHouseSink, starved: set[LogRow]) -> None:
        self._sink = sink
        self.starved = starved
        self.starving = True
        self.failures: list[str] = []

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        if not (self.starving and self.starved & set(rows)):
            return await self._sink.write(rows, segment)
        try:
            with descriptors_used_up(below=64):
                await self._sink.write(rows, segment)
        except Exception as exc:
            self.failures.append(str(exc))
            raise

    async def stored_request_keys(self, keys: Sequence[RequestKey]) -> set[RequestKey]:
        return await self._sink.stored_request_keys(keys)


def test_rows_failing_for_want_of_descriptors_are_retried_not_set_aside(tmp_path: Path):
    # Only rows the store refuses for their data may be set aside; "too many open files"
    # while some halves of a batch went in is the store failing, and those rows wait.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.apply(_starved_halves_are_retried, (str(tmp_path),))


def _starved_halves_are_retried(directory: str) -> None:
    async def scenario() -> None:
        engine = ChdbEngine(Path(directory) / "chdb")
        await engine.open()
        await apply_migrations(engine)
        first, second = [row() for _ in range(8)], [row() for _ in range(8)]
        sink = StarvedSink(ClickHouseSink(engine), set(first))
        pipeline = LogPipeline(
            Spool(Path(directory) / "spool"), sink, batch_rows=8, batch_ms=20, fsync_ms=20
        )
        await pipeline.start()
        for line in first:
            pipeline.submit(line)
        await wait_for(lambda: pipeline.stats.store_failures >= 1)
        for line in second:  # sealed while the store fails: replayed whole, then in halves
            pipeline.submit(line)
        await wait_for(lambda: pipeline.backlog_segments == 2)
        failed = len(sink.failures)
        sink.starved = set(second[4:])
        await wait_for(lambda: len(sink.failures) >= failed + 4)  # batch, half, quarters...
        assert "Too many open files" in sink.failures[-1]
        sink.starving = False
        await wait_for(lambda: pipeline.backlog_segments == 0)
        await pipeline.close()
        assert pipeline.stats.rejected == 0
        assert not (Path(directory) / "spool" / "rejected").exists()
        stored = await engine.select(f"SELECT request_id FROM {REQUEST_TABLE}")  # no FINAL
        await engine.close()
        assert sorted(r["request_id"] for r in stored) == sorted(
            line.request_id for line in first + second
        ), "every row stored once"

    asyncio.run(scenario())

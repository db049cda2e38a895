"""The log pipeline's batching, spooling and replay, against a sink that can be made to fail."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import orjson

from heliograph.pipeline.spool import Spool
from heliograph.pipeline.writer import LogPipeline
from heliograph.store.log_row import LogRow, RequestKey


class FlakySink:
    """A LogSink keeping rows in memory; `down=True` makes every call fail like a dead store."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.down = False
        self.writes = 0
        self.from_segments = 0
        self.looked_up: set[str] = set()

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        if self.down:
            raise ConnectionError("store is down")
        if segment is not None:  # the sink may read the segment instead: it must be the batch
            assert segment.read_bytes() == b"".join(row.line for row in rows)
            self.from_segments += 1
        self.writes += 1
        self.rows.extend(orjson.loads(row.line) for row in rows)

    async def stored_request_keys(self, keys: Sequence[RequestKey]) -> set[RequestKey]:
        if self.down:
            raise ConnectionError("store is down")
        self.looked_up.update(request_id for _, request_id in keys)
        have = {(str(row["organization_id"]), str(row["request_id"])) for row in self.rows}
        return have & set(keys)


ORG = str(uuid.uuid4())


def row() -> LogRow:
    """A row as RowBuilder hands it on: its line and what it says."""
    request_id = str(uuid.uuid4())
    fields = {"request_id": request_id, "organization_id": ORG, "status": 200}
    return LogRow(orjson.dumps(fields) + b"\n", request_id, ORG, False, 0)


def test_batches_by_size_and_time(tmp_path: Path):
    async def scenario() -> None:
        sink = FlakySink()
        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=10, batch_ms=100, fsync_ms=50)
        await pipeline.start()
        for _ in range(25):
            pipeline.submit(row())
        await asyncio.sleep(0.4)
        assert len(sink.rows) == 25
        assert sink.writes <= 4, "rows go in batches, not one by one"
        assert sink.from_segments == sink.writes, "each batch names its sealed segment"
        await pipeline.close()
        assert list(tmp_path.iterdir()) == [], "the spool is empty once everything is stored"

    asyncio.run(scenario())


def test_store_outage_keeps_rows_on_disk_then_replays(tmp_path: Path):
    async def scenario() -> None:
        sink = FlakySink()
        sink.down = True
        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=5, batch_ms=50, fsync_ms=50)
        await pipeline.start()
        lines = [row() for _ in range(30)]
        for line in lines:
            pipeline.submit(line)  # never blocks or raises while the store is down
        await asyncio.sleep(0.3)
        assert sink.rows == []
        assert pipeline.backlog_segments >= 1
        sink.down = False
        for _ in range(100):
            if len(sink.rows) == 30:
                break
            await asyncio.sleep(0.1)
        await pipeline.close()
        ids = sorted(str(r["request_id"]) for r in sink.rows)
        assert ids == sorted(line.request_id for line in lines)

    asyncio.run(scenario())


def test_replay_at_start_skips_rows_already_stored(tmp_path: Path):
    async def scenario() -> None:
        lines = [row() for _ in range(6)]
        spool = Spool(tmp_path)
        for line in lines:
            spool.append(line.line)
        spool.seal()
        spool.append(b'{"request_id":"torn-write-no-newli')  # a kill mid-write
        spool.close()

        sink = FlakySink()
        sink.rows.append(orjson.loads(lines[0].line))  # stored before the crash, not discarded
        pipeline = LogPipeline(Spool(tmp_path), sink)
        await pipeline.start()
        await pipeline.close()
        ids = [str(r["request_id"]) for r in sink.rows]
        assert sorted(ids) == sorted(line.request_id for line in lines)
        assert pipeline.stats.skipped_duplicates == 1

    asyncio.run(scenario())


def test_a_replayed_line_without_ids_still_goes_to_the_store(tmp_path: Path):
    # Not a RowBuilder row: no key to look up, so never skipped; the store decides.
    async def scenario() -> None:
        spool = Spool(tmp_path)
        spool.append(row().line)
        spool.append(b'{"status":200}\n')
        spool.seal()
        spool.close()
        sink = FlakySink()
        pipeline = LogPipeline(Spool(tmp_path), sink)
        await pipeline.start()
        await pipeline.close()
        assert [r["status"] for r in sink.rows] == [200, 200]
        assert len(sink.looked_up) == 1 and pipeline.stats.replayed == 2

    asyncio.run(scenario())


def test_spool_survives_without_close(tmp_path: Path):
    spool = Spool(tmp_path)
    line = row().line
    spool.append(line)  # no fsync, no close: a process kill keeps what the kernel has
    (segment,) = list(tmp_path.iterdir())
    assert Spool.read_segment(segment) == [line]


def test_rows_of_one_loop_step_are_written_together_before_later_callbacks(tmp_path: Path):
    async def scenario() -> None:
        spool = Spool(tmp_path)
        (segment,) = list(tmp_path.iterdir())
        lines = [row().line for _ in range(3)]
        seen_by_later_callback: list[list[bytes]] = []
        spool.append(lines[0])
        # Scheduled after the first append, as a response's write is after its row's.
        asyncio.get_running_loop().call_soon(
            lambda: seen_by_later_callback.append(Spool.read_segment(segment))
        )
        spool.append(lines[1])
        spool.append(lines[2])
        assert segment.read_bytes() == b""  # nothing written within the step
        await asyncio.sleep(0)
        assert seen_by_later_callback == [lines]
        spool.append(row().line)
        spool.close()  # what waits is written before the segment closes
        assert len(Spool.read_segment(segment)) == 4

    asyncio.run(scenario())


def test_listeners_hear_every_stored_row_including_replays(tmp_path: Path):
    async def scenario() -> None:
        sink = FlakySink()
        heard: list[LogRow] = []

        async def broken_listener(rows: Sequence[LogRow]) -> None:
            raise RuntimeError("a listener bug")

        async def listener(rows: Sequence[LogRow]) -> None:
            heard.extend(rows)

        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=5, batch_ms=50, fsync_ms=50)
        pipeline.add_listener(broken_listener)
        pipeline.add_listener(listener)
        await pipeline.start()
        sink.down = True
        lines = [row() for _ in range(12)]
        for line in lines[:6]:
            pipeline.submit(line)
        await asyncio.sleep(0.2)
        assert heard == [], "nothing is announced before the store took it"
        sink.down = False
        for line in lines[6:]:
            pipeline.submit(line)
        for _ in range(100):
            if len(set(heard)) == 12:
                break
            await asyncio.sleep(0.05)
        await pipeline.close()
        # The replayed rows are read back from the spool: the same values again.
        assert set(heard) == set(lines), "a failing listener does not stop the others"

    asyncio.run(scenario())


class PickySink(FlakySink):
    """Refuses any batch holding a row marked poison, as ClickHouse refuses a bad value."""

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        if any(b'"poison"' in row.line for row in rows):
            raise ValueError("Code: 53. Cannot convert value")
        await super().write(rows, segment)


def poison() -> LogRow:
    request_id = str(uuid.uuid4())
    line = orjson.dumps({"request_id": request_id, "status": "poison"}) + b"\n"
    return LogRow(line, request_id, "", False, 0)


def test_rows_the_store_never_takes_are_set_aside_not_retried_forever(tmp_path: Path):
    async def scenario() -> None:
        sink = PickySink()
        heard: list[LogRow] = []

        async def listener(rows: Sequence[LogRow]) -> None:
            heard.extend(rows)

        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=50, batch_ms=50, fsync_ms=50)
        pipeline.add_listener(listener)
        await pipeline.start()
        good = [row() for _ in range(40)]
        bad = [poison(), poison()]
        for line in good[:17] + bad[:1] + good[17:30] + bad[1:] + good[30:]:
            pipeline.submit(line)
        for _ in range(100):
            if len(sink.rows) == 40:
                break
            await asyncio.sleep(0.05)
        later = [row() for _ in range(5)]
        for line in later:
            pipeline.submit(line)
        for _ in range(100):
            if len(sink.rows) == 45:
                break
            await asyncio.sleep(0.05)
        await pipeline.close()
        assert sorted(str(r["request_id"]) for r in sink.rows) == sorted(
            line.request_id for line in good + later
        ), "every good row is stored once, and the pipeline keeps flowing"
        assert pipeline.stats.rejected == 2
        assert not set(bad) & set(heard), "listeners hear only of stored rows"
        kept = b"".join(path.read_bytes() for path in (tmp_path / "rejected").iterdir())
        assert sorted(kept.splitlines(keepends=True)) == sorted(r.line for r in bad), "no loss"
        assert pipeline.backlog_segments == 0

    asyncio.run(scenario())


def test_a_store_refusing_everything_keeps_everything(tmp_path: Path):
    async def scenario() -> None:
        sink = PickySink()
        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=50, batch_ms=50, fsync_ms=50)
        await pipeline.start()
        for _ in range(6):
            pipeline.submit(poison())
        await asyncio.sleep(0.5)
        await pipeline.close()
        assert pipeline.stats.rejected == 0, "when no row goes in, the store is at fault"
        assert not (tmp_path / "rejected").exists()
        assert sum(len(Spool.read_segment(p)) for p in Spool(tmp_path).sealed_segments()) == 6

    asyncio.run(scenario())


def test_rows_never_sent_are_stored_from_their_segment_without_a_lookup(tmp_path: Path):
    # Only a batch the store may have taken in part (its write failed) needs its ids
    # looked up before a replay; the segments sealed while the store was down hold rows no
    # store has seen, and go in whole, from the segment itself.
    async def scenario() -> None:
        sink = FlakySink()
        sink.down = True
        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=5, batch_ms=50, fsync_ms=50)
        await pipeline.start()
        lines = [row() for _ in range(15)]
        for line in lines[:5]:
            pipeline.submit(line)
        for _ in range(100):  # the first batch is tried, and fails
            if pipeline.stats.store_failures:
                break
            await asyncio.sleep(0.01)
        for line in lines[5:]:
            pipeline.submit(line)
        await asyncio.sleep(0.2)
        assert pipeline.backlog_rows == 15
        sink.down = False
        for _ in range(100):
            if len(sink.rows) == 15:
                break
            await asyncio.sleep(0.1)
        await pipeline.close()
        assert sink.looked_up == {line.request_id for line in lines[:5]}
        assert sorted(str(r["request_id"]) for r in sink.rows) == sorted(
            line.request_id for line in lines
        )
        assert sink.from_segments >= 1, "a segment never sent is written as it is"
        assert pipeline.backlog_rows == 0

    asyncio.run(scenario())


class GatedSink(FlakySink):
    """Holds every write until `gate` is set, like a store that has fallen behind."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def write(self, rows: Sequence[LogRow], segment: Path | None = None) -> None:
        await self.gate.wait()
        await super().write(rows, segment)


def test_backlog_listeners_hear_rows_waiting_beyond_a_batch(tmp_path: Path):
    async def scenario() -> list[int]:
        sink = GatedSink()
        heard: list[int] = []
        pipeline = LogPipeline(Spool(tmp_path), sink, batch_rows=10, batch_ms=20, fsync_ms=50)
        pipeline.watch_backlog(heard.append)
        await pipeline.start()
        for _ in range(3):
            for _ in range(20):
                pipeline.submit(row())
            await asyncio.sleep(0.06)
        assert pipeline.backlog_rows == 60
        sink.gate.set()
        for _ in range(100):
            if len(sink.rows) == 60:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.06)
        await pipeline.close()
        return heard

    heard = asyncio.run(scenario())
    assert 50 in heard, "60 rows waiting, a batch of 10 beyond which 50 wait"
    assert max(heard) == 50
    assert heard[-1] == 0, "once the store caught up"
